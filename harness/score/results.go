package score

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is what a run was asked to do; --resume reads it back.
type Config struct {
	Bench        string   `json:"bench"`
	Data         string   `json:"data"`
	Model        string   `json:"model,omitempty"`
	Endpoint     string   `json:"endpoint,omitempty"`
	ServerConfig string   `json:"server_config,omitempty"`
	K            int      `json:"k,omitempty"`
	Limit        int      `json:"limit,omitempty"`
	IDs          []string `json:"ids,omitempty"`
	// ServeArgs are extra flags for the `harness serve` child (e.g. --no-bank).
	ServeArgs []string `json:"serve_args,omitempty"`
	// Estimates for the GPU plan figure.
	GPUVRAMMB             float64 `json:"gpu_vram_mb"`
	GPUSecondsPerQuestion float64 `json:"gpu_seconds_per_question"`
}

// Git is the source the binary was run from.
type Git struct {
	Commit string `json:"commit"`
	Dirty  bool   `json:"dirty"`
}

// Machine describes where the run happened.
type Machine struct {
	CPU   string  `json:"cpu"`
	Cores int     `json:"cores"`
	RAMMB float64 `json:"ram_mb"`
	GPU   string  `json:"gpu,omitempty"`
}

// CategoryStat is accuracy within one category.
type CategoryStat struct {
	N        int     `json:"n"`
	Correct  int     `json:"correct"`
	Accuracy float64 `json:"accuracy"`
}

// Plan is the Final Score under one device assumption.
type Plan struct {
	Name      string  `json:"name"`
	SumT      float64 `json:"sum_t"`
	AvgVRAMMB float64 `json:"avg_vram_mb"`
	AvgRAMMB  float64 `json:"avg_ram_mb"`
	Score     float64 `json:"score"`
	Note      string  `json:"note"`
}

// Results is results.json: the run's configuration, provenance and figures.
type Results struct {
	ID          string    `json:"id"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished,omitempty"`
	Interrupted bool      `json:"interrupted"`
	Config      Config    `json:"config"`
	ModelFile   string    `json:"model_file,omitempty"`
	ModelSHA256 string    `json:"model_sha256,omitempty"`
	Git         Git       `json:"git"`
	Machine     Machine   `json:"machine"`

	Planned   int     `json:"planned"`   // questions selected for the run
	Questions int     `json:"questions"` // questions scored so far
	N         int     `json:"n"`         // exact matches
	SumT      float64 `json:"sum_t"`
	AvgVRAMMB float64 `json:"avg_vram_mb"`
	AvgRAMMB  float64 `json:"avg_ram_mb"`
	Score     float64 `json:"score"`
	Factors   Factors `json:"factors"`
	Accuracy  float64 `json:"accuracy"`

	Categories map[string]CategoryStat `json:"categories"`
	Counts     map[string]int          `json:"counts"` // by Sample.Kind()
	Plans      []Plan                  `json:"plans"`
	Notes      []string                `json:"notes,omitempty"`
}

// Summarize fills the figures of res from all samples of the run.
func Summarize(res *Results, samples []Sample) {
	res.Questions = len(samples)
	res.N, res.SumT, res.AvgRAMMB, res.AvgVRAMMB = 0, 0, 0, 0
	res.Categories = map[string]CategoryStat{}
	res.Counts = map[string]int{}
	for _, s := range samples {
		res.SumT += s.Seconds
		res.AvgRAMMB += s.PeakRAMMB
		res.AvgVRAMMB += s.PeakVRAMMB
		c := res.Categories[s.Category]
		c.N++
		if s.Correct {
			res.N++
			c.Correct++
		}
		res.Categories[s.Category] = c
		res.Counts[s.Kind()]++
	}
	for k, c := range res.Categories {
		c.Accuracy = float64(c.Correct) / float64(c.N)
		res.Categories[k] = c
	}
	if n := len(samples); n > 0 {
		res.AvgRAMMB /= float64(n)
		res.AvgVRAMMB /= float64(n)
		res.Accuracy = float64(res.N) / float64(n)
	}
	res.Factors = FactorsOf(res.SumT, res.AvgVRAMMB, res.AvgRAMMB)
	res.Score = Final(res.N, res.SumT, res.AvgVRAMMB, res.AvgRAMMB)
	res.Plans = Plans(*res)
}

// Plans puts the device choice in numbers: the measured run, the same run
// with a device-wide GPU reading of 0 MB (a CPU-only runner: factor 0.25),
// and a GPU plan from the accuracy measured here with estimated seconds and VRAM.
func Plans(res Results) []Plan {
	gpuT := res.Config.GPUSecondsPerQuestion * float64(res.Questions)
	return []Plan{
		{Name: "measured", SumT: res.SumT, AvgVRAMMB: res.AvgVRAMMB, AvgRAMMB: res.AvgRAMMB,
			Score: Final(res.N, res.SumT, res.AvgVRAMMB, res.AvgRAMMB), Note: "as run here"},
		{Name: "cpu", SumT: res.SumT, AvgVRAMMB: 0, AvgRAMMB: res.AvgRAMMB,
			Score: Final(res.N, res.SumT, 0, res.AvgRAMMB), Note: "same times, GPU reading 0 MB (factor 0.25)"},
		{Name: "gpu", SumT: gpuT, AvgVRAMMB: res.Config.GPUVRAMMB, AvgRAMMB: res.AvgRAMMB,
			Score: Final(res.N, gpuT, res.Config.GPUVRAMMB, res.AvgRAMMB),
			Note:  fmt.Sprintf("same answers, estimated %.2f s/question and %.0f MB VRAM", res.Config.GPUSecondsPerQuestion, res.Config.GPUVRAMMB)},
	}
}

// Summary is the plain-text block printed at the end of a run.
func Summary(res Results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %s%s\n", res.ID, map[bool]string{true: " (interrupted)", false: ""}[res.Interrupted])
	fmt.Fprintf(&b, "N = %d / %d scored (%d planned), accuracy %.1f%%\n", res.N, res.Questions, res.Planned, 100*res.Accuracy)
	fmt.Fprintf(&b, "sum T = %.2f s (%.2f s/question), mean peak VRAM %.0f MB, mean peak RAM %.0f MB\n",
		res.SumT, res.SumT/float64(max(res.Questions, 1)), res.AvgVRAMMB, res.AvgRAMMB)
	fmt.Fprintf(&b, "Final Score = %.4f  (= %d / (%.3f * %.3f * %.3f))\n", res.Score, res.N, res.Factors.Time, res.Factors.VRAM, res.Factors.RAM)
	cats := make([]string, 0, len(res.Categories))
	for c := range res.Categories {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	for _, c := range cats {
		s := res.Categories[c]
		fmt.Fprintf(&b, "  %-18s %3d/%-3d %5.1f%%\n", c, s.Correct, s.N, 100*s.Accuracy)
	}
	kinds := make([]string, 0, len(res.Counts))
	for k := range res.Counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := []string{}
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, res.Counts[k]))
	}
	fmt.Fprintf(&b, "outcomes: %s\n", strings.Join(parts, ", "))
	for _, p := range res.Plans {
		fmt.Fprintf(&b, "plan %-8s score %.4f  (T %.2f s, VRAM %.0f MB, RAM %.0f MB: %s)\n", p.Name, p.Score, p.SumT, p.AvgVRAMMB, p.AvgRAMMB, p.Note)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}

// RunID is a UTC timestamp plus a short model name, e.g. 20261128T170102Z-qwen2.5-coder-1.5b.
func RunID(now time.Time, model string) string {
	name := strings.TrimSuffix(filepath.Base(model), ".gguf")
	if model == "" {
		name = "endpoint"
	}
	parts := strings.Split(name, "-")
	if len(parts) > 3 {
		parts = parts[:3]
	}
	return now.UTC().Format("20060102T150405Z") + "-" + strings.Join(parts, "-")
}

// FileSHA256 hashes a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// GitState reads HEAD and whether the work tree has changes, in dir.
func GitState(dir string) Git {
	run := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	g := Git{Commit: run("rev-parse", "HEAD")}
	if g.Commit == "" {
		g.Commit = "unknown"
		return g
	}
	g.Dirty = run("status", "--porcelain", "--untracked-files=no") != ""
	return g
}

// MachineInfo reads the CPU model, core count, memory and GPUs.
func MachineInfo(gpu *GPUReader) Machine {
	m := Machine{Cores: runtime.NumCPU(), CPU: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				m.RAMMB = kb / 1024
			}
		}
	}
	if gpu != nil && gpu.Present() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader").Output()
		if err == nil {
			m.GPU = strings.Join(strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; ")), " ")
		}
	}
	return m
}
