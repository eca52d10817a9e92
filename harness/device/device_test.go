package device

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"polarsbench/harness/score"
)

var (
	cpuPlan = Plan{Device: CPU, K: 4, Machine: "test", SecondsPerQuestion: 21.289, Accuracy: 25.0 / 75, RAMMB: 1830}
	// A GPU plan 40x faster that holds 1,500 MB on a machine idling at 0.
	fastGPU = Plan{Device: GPU, K: 4, Machine: "test", SecondsPerQuestion: 0.5, Accuracy: 25.0 / 75, VRAMMB: 1500, RAMMB: 2500}
	// A GPU plan only 2x faster: the VRAM factor (2.08 vs 0.25) makes it lose.
	slowGPU = Plan{Device: GPU, K: 4, Machine: "test", SecondsPerQuestion: 10, Accuracy: 25.0 / 75, VRAMMB: 1500, RAMMB: 2500}
	gpuBox  = Probe{Libraries: []string{"lib/ollama/libggml-cuda.so"}, Devices: []string{"CUDA0"}}
	cpuBox  = Probe{}
)

// The plan score is the official formula (this plan is an older CPU run: 0.0578).
func TestPlanScoreIsTheOfficialFormula(t *testing.T) {
	got := cpuPlan.Score(0)
	want := score.Final(25, 75*21.289, 0, 1830) // 25 of 75 right: N and T both scale with Q
	if math.Abs(got-want) > 1e-12 || math.Abs(got-0.0578) > 5e-4 {
		t.Fatalf("cpu plan score %v, formula %v, that run 0.0578", got, want)
	}
	// An idle reading on the machine counts against both plans.
	if s := cpuPlan.Score(500); math.Abs(s-score.Final(25, 75*21.289, 500, 1830)) > 1e-12 {
		t.Errorf("cpu plan on a machine idling at 500 MB: %v", s)
	}
	// Only the GPU plan's own VRAM travels: measured 1,700 over a 200 baseline is +1,500.
	g := fastGPU
	g.VRAMMB, g.BaselineVRAMMB = 1700, 200
	if math.Abs(g.Score(0)-fastGPU.Score(0)) > 1e-12 {
		t.Errorf("baseline not subtracted: %v vs %v", g.Score(0), fastGPU.Score(0))
	}
	if (Plan{Device: GPU}).Score(0) != 0 {
		t.Error("an unmeasured plan must score 0")
	}
}

func TestDecide(t *testing.T) {
	unmeasured := Plan{Device: GPU, Machine: "not measured yet"}
	for _, c := range []struct {
		name     string
		want     string
		probe    Probe
		cpu, gpu Plan
		device   string
		reason   string
	}{
		{"auto, no GPU", Auto, cpuBox, cpuPlan, fastGPU, CPU, "no usable GPU"},
		{"auto, library but no device", Auto, Probe{Libraries: []string{"libggml-cuda.so"}}, cpuPlan, fastGPU, CPU, "no usable GPU"},
		{"auto, GPU but GPU plan unmeasured", Auto, gpuBox, cpuPlan, unmeasured, CPU, "no measured figures"},
		{"auto, GPU plan much faster", Auto, gpuBox, cpuPlan, fastGPU, GPU, "GPU plan scores higher"},
		{"auto, GPU plan only 2x faster", Auto, gpuBox, cpuPlan, slowGPU, CPU, "CPU plan scores at least as high"},
		{"auto, CPU plan unmeasured", Auto, gpuBox, Plan{Device: CPU}, fastGPU, GPU, "CPU plan is not"},
		{"cpu obeyed on a GPU machine", CPU, gpuBox, cpuPlan, fastGPU, CPU, "asked for cpu"},
		{"gpu obeyed", GPU, gpuBox, cpuPlan, unmeasured, GPU, "asked for gpu"},
	} {
		d, err := Decide(c.want, c.probe, c.cpu, c.gpu)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if d.Device != c.device || !strings.Contains(d.Reason, c.reason) {
			t.Errorf("%s: got %s (%s), want %s (%q)", c.name, d.Device, d.Reason, c.device, c.reason)
		}
		if lines := d.Lines(); len(lines) != 4 || !strings.HasPrefix(lines[0], "device "+c.device) {
			t.Errorf("%s: log lines %q", c.name, lines)
		}
	}
}

// A busy GPU (another process holding memory) weighs on both plans alike, so the
// ratio of the two scores is the VRAM factors' ratio at that baseline.
func TestDecideIdleVRAMShiftsTheBalance(t *testing.T) {
	// At idle 0 the CPU plan gets the 0.25 floor; at idle 20 GB both plans read
	// about the same VRAM and the faster GPU wins even when only 2x faster.
	busy := gpuBox
	busy.IdleVRAMMB = 20000
	d, err := Decide(Auto, busy, cpuPlan, slowGPU)
	if err != nil || d.Device != GPU {
		t.Fatalf("busy GPU, 2x faster plan: %s (%s) %v", d.Device, d.Reason, err)
	}
}

func TestDecideGPUWithoutOne(t *testing.T) {
	_, err := Decide(GPU, cpuBox, cpuPlan, fastGPU)
	if !errors.Is(err, ErrNoGPU) || !strings.Contains(err.Error(), "--device gpu") {
		t.Fatalf("--device gpu without a GPU: %v", err)
	}
	if _, err := Decide("tpu", cpuBox, cpuPlan, fastGPU); err == nil {
		t.Fatal("unknown --device accepted")
	}
}

// The built-in table has a measured CPU plan (the README's) and an unmeasured
// GPU plan, so auto on any machine picks the CPU until the GPU is measured.
func TestDefaultFigures(t *testing.T) {
	f := DefaultFigures()
	c, g := f.Plan(CPU, 4), f.Plan(GPU, 4)
	if !c.Measured() || math.Abs(c.Score(0)-0.1737) > 5e-4 {
		t.Errorf("built-in CPU plan %v scores %v, want the README's 0.1737", c, c.Score(0))
	}
	if g.Measured() {
		t.Errorf("built-in GPU plan claims figures: %v", g)
	}
	if d, _ := Decide(Auto, gpuBox, c, g); d.Device != CPU {
		t.Errorf("auto with the built-in figures on a GPU machine: %s", d.Device)
	}
	// Another K falls back to the measured plan of that device.
	if p := f.Plan(CPU, 8); !p.Measured() {
		t.Errorf("plan for k=8: %v", p)
	}
	if p := f.Plan("gpu", 1); p.Device != GPU || p.Measured() {
		t.Errorf("gpu plan for k=1: %v", p)
	}
}

func TestLoadFigures(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "f.json")
	os.WriteFile(good, []byte(`{"plans":[{"device":"gpu","k":4,"machine":"H200","seconds_per_question":0.4,"accuracy":0.33,"vram_mb":1900,"baseline_vram_mb":400,"ram_mb":2600}]}`), 0o644)
	f, err := LoadFigures(good)
	if err != nil {
		t.Fatal(err)
	}
	if p := f.Plan(GPU, 4); !p.Measured() || p.OwnVRAMMB() != 1500 {
		t.Errorf("loaded plan %+v", p)
	}
	if p := f.Plan(CPU, 4); p.Measured() || p.Device != CPU {
		t.Errorf("absent CPU plan %+v", p)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"plans":[{"device":"npu"}]}`), 0o644)
	if _, err := LoadFigures(bad); err == nil {
		t.Error("device npu accepted")
	}
	if _, err := LoadFigures(filepath.Join(dir, "none.json")); err == nil {
		t.Error("missing file accepted")
	}
}
