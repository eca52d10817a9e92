// Package device chooses where `harness serve` runs the model, CPU or GPU, from
// measured figures of each plan scored with the runner's official formula
// (harness/score.FactorsOf). It is pure Go: the caller probes the machine (GPU
// backend libraries, the devices ggml enumerates, nvidia-smi) and passes what it
// found, so the decision is a function of data and is tested as one.
package device

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"polarsbench/harness/score"
)

// Plan is one measured way of serving: where, with which K, and the figures the
// runner's formula reads. A plan missing seconds, accuracy or RAM is unmeasured.
type Plan struct {
	Device  string `json:"device"`  // "cpu" or "gpu"
	K       int    `json:"k"`       // candidates per question it was measured with (0: any)
	Machine string `json:"machine"` // where it was measured
	Source  string `json:"source"`  // the run or command that measured it
	// SecondsPerQuestion is the mean wall time of POST /chat (sum_T / N questions).
	SecondsPerQuestion float64 `json:"seconds_per_question"`
	Accuracy           float64 `json:"accuracy"` // exact matches / questions
	// VRAMMB is the mean per-question peak of the device-wide reading during the run;
	// BaselineVRAMMB the reading before the server started, on the same machine.
	// Only their difference travels to another machine.
	VRAMMB         float64 `json:"vram_mb"`
	BaselineVRAMMB float64 `json:"baseline_vram_mb"`
	RAMMB          float64 `json:"ram_mb"` // mean per-question peak RSS of the server's process tree
}

// Measured reports whether the plan has the figures the formula needs.
func (p Plan) Measured() bool {
	return p.SecondsPerQuestion > 0 && p.Accuracy > 0 && p.RAMMB > 0
}

// OwnVRAMMB is the VRAM the plan itself adds to the device-wide reading.
func (p Plan) OwnVRAMMB() float64 { return max(0, p.VRAMMB-p.BaselineVRAMMB) }

// Score is the Final Score the plan would get on a machine whose device-wide
// reading is idleVRAMMB without our server: N/(T*VRAM^0.1*RAM^0.01) with
// N = accuracy*Q and T = seconds*Q, so Q cancels. 0 for an unmeasured plan.
func (p Plan) Score(idleVRAMMB float64) float64 {
	if !p.Measured() {
		return 0
	}
	f := score.FactorsOf(p.SecondsPerQuestion, idleVRAMMB+p.OwnVRAMMB(), p.RAMMB)
	return p.Accuracy / (f.Time * f.VRAM * f.RAM)
}

func (p Plan) String() string {
	if !p.Measured() {
		m := p.Machine
		if m == "" {
			m = "no figures"
		}
		return fmt.Sprintf("%s plan unmeasured (%s)", p.Device, m)
	}
	return fmt.Sprintf("%s plan k=%d: %.2f s/question, accuracy %.3f, VRAM +%.0f MB, RAM %.0f MB (measured on %s)",
		p.Device, p.K, p.SecondsPerQuestion, p.Accuracy, p.OwnVRAMMB(), p.RAMMB, p.Machine)
}

// Figures is the table of measured plans.
type Figures struct {
	Note  string `json:"note,omitempty"`
	Plans []Plan `json:"plans"`
}

//go:embed figures.json
var defaultFigures []byte

// DefaultFigures returns the built-in table (figures.json).
func DefaultFigures() Figures {
	f, err := ParseFigures(defaultFigures)
	if err != nil {
		panic("device: built-in figures.json: " + err.Error())
	}
	return f
}

// ParseFigures reads a figures table and checks its devices.
func ParseFigures(b []byte) (Figures, error) {
	var f Figures
	if err := json.Unmarshal(b, &f); err != nil {
		return f, err
	}
	for i, p := range f.Plans {
		if p.Device != "cpu" && p.Device != "gpu" {
			return f, fmt.Errorf("plan %d: device %q, want cpu or gpu", i, p.Device)
		}
		if p.SecondsPerQuestion < 0 || p.Accuracy < 0 || p.Accuracy > 1 || p.RAMMB < 0 || p.VRAMMB < 0 || p.BaselineVRAMMB < 0 {
			return f, fmt.Errorf("plan %d (%s): a figure is out of range", i, p.Device)
		}
	}
	return f, nil
}

// LoadFigures reads a figures file; "" gives the built-in table.
func LoadFigures(path string) (Figures, error) {
	if path == "" {
		return DefaultFigures(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Figures{}, err
	}
	f, err := ParseFigures(b)
	if err != nil {
		return f, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Plan returns the plan for device measured with K = k, else the first measured
// plan for device, else the first for device, else an empty unmeasured one.
func (f Figures) Plan(device string, k int) Plan {
	var first, firstMeasured *Plan
	for i := range f.Plans {
		p := &f.Plans[i]
		if p.Device != device {
			continue
		}
		if p.K == k && p.Measured() {
			return *p
		}
		if first == nil {
			first = p
		}
		if firstMeasured == nil && p.Measured() {
			firstMeasured = p
		}
	}
	switch {
	case firstMeasured != nil:
		return *firstMeasured
	case first != nil:
		return *first
	}
	return Plan{Device: device, K: k}
}

// Probe is what the caller found on this machine.
type Probe struct {
	Libraries []string // GPU backend libraries found (lib/ollama/libggml-cuda.so, ...)
	Devices   []string // GPU devices the backends enumerated
	// IdleVRAMMB is the device-wide nvidia-smi reading now, before the model loads
	// (0 without nvidia-smi, as the runner reads it).
	IdleVRAMMB float64
	Note       string // anything else worth logging (an error while probing)
}

// GPUUsable reports whether a GPU device is there to offload to.
func (p Probe) GPUUsable() bool { return len(p.Devices) > 0 }

func (p Probe) String() string {
	libs, devs := "none", "none"
	if len(p.Libraries) > 0 {
		libs = strings.Join(p.Libraries, ", ")
	}
	if len(p.Devices) > 0 {
		devs = strings.Join(p.Devices, ", ")
	}
	s := fmt.Sprintf("GPU backends: %s; GPU devices: %s; device-wide VRAM now %.0f MB", libs, devs, p.IdleVRAMMB)
	if p.Note != "" {
		s += "; " + p.Note
	}
	return s
}

// Choices of --device.
const (
	CPU  = "cpu"
	GPU  = "gpu"
	Auto = "auto"
)

// ErrNoGPU is returned for --device gpu on a machine without a usable GPU.
var ErrNoGPU = errors.New("no usable GPU")

// Decision is where to run and why, with every input, for the start-up log.
type Decision struct {
	Want     string  // what was asked: cpu, gpu or auto
	Device   string  // cpu or gpu
	Reason   string  // one line
	Probe    Probe   // the machine
	CPU, GPU Plan    // the plans compared
	CPUScore float64 // expected Final Score of each plan on this machine; 0 when unmeasured
	GPUScore float64
}

// Decide picks the device. cpu and gpu are obeyed (gpu errs without a usable GPU);
// auto picks the GPU only when one is usable and the measured GPU plan scores
// higher than the CPU plan on the official formula, with this machine's current
// device-wide VRAM as both plans' baseline.
func Decide(want string, probe Probe, cpu, gpu Plan) (Decision, error) {
	d := Decision{Want: want, Probe: probe, CPU: cpu, GPU: gpu,
		CPUScore: cpu.Score(probe.IdleVRAMMB), GPUScore: gpu.Score(probe.IdleVRAMMB)}
	switch want {
	case CPU:
		d.Device, d.Reason = CPU, "asked for cpu"
	case GPU:
		if !probe.GPUUsable() {
			return d, fmt.Errorf("--device gpu: %w (%s); build the GPU backend with `make cuda`, or use --device cpu or auto", ErrNoGPU, probe)
		}
		d.Device, d.Reason = GPU, "asked for gpu"
	case Auto:
		switch {
		case !probe.GPUUsable():
			d.Device, d.Reason = CPU, "no usable GPU"
		case !gpu.Measured():
			d.Device, d.Reason = CPU, "a GPU is usable but the GPU plan has no measured figures, so nothing shows it beats the CPU"
		case !cpu.Measured():
			d.Device, d.Reason = GPU, "a GPU is usable, the GPU plan is measured and the CPU plan is not"
		case d.GPUScore > d.CPUScore:
			d.Device, d.Reason = GPU, fmt.Sprintf("the GPU plan scores higher (%.4g > %.4g)", d.GPUScore, d.CPUScore)
		default:
			d.Device, d.Reason = CPU, fmt.Sprintf("the CPU plan scores at least as high (%.4g >= %.4g)", d.CPUScore, d.GPUScore)
		}
	default:
		return d, fmt.Errorf("--device: want cpu, gpu or auto, got %q", want)
	}
	return d, nil
}

// Lines renders the decision and its inputs for the start-up log.
func (d Decision) Lines() []string {
	score := func(s float64) string {
		if s == 0 {
			return "unknown"
		}
		return fmt.Sprintf("%.4g", s)
	}
	return []string{
		fmt.Sprintf("device %s (--device %s: %s)", d.Device, d.Want, d.Reason),
		"device inputs: " + d.Probe.String(),
		fmt.Sprintf("device inputs: %s; expected score here %s", d.CPU, score(d.CPUScore)),
		fmt.Sprintf("device inputs: %s; expected score here %s", d.GPU, score(d.GPUScore)),
	}
}
