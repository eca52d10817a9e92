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

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
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

	// ValuesN counts the answers right under the names-insensitive fingerprint
	// (classes right and names); ValuesAccuracy is ValuesN / Questions.
	ValuesN        int     `json:"values_n"`
	ValuesAccuracy float64 `json:"values_accuracy"`

	Categories map[string]CategoryStat `json:"categories"`
	Counts     map[string]int          `json:"counts"` // by Sample.Kind()
	// Classes counts the questions by failure class (every class of Classes,
	// zeros included); ErrorKinds splits ClassError by kind.
	Classes    map[string]int `json:"classes"`
	ErrorKinds map[string]int `json:"error_kinds"`
	Plans      []Plan         `json:"plans"`
	Notes      []string       `json:"notes,omitempty"`
}

// Summarize fills the figures of res from all samples of the run.
func Summarize(res *Results, samples []Sample) {
	res.Questions = len(samples)
	res.N, res.SumT, res.AvgRAMMB, res.AvgVRAMMB = 0, 0, 0, 0
	res.Categories = map[string]CategoryStat{}
	res.Counts = map[string]int{}
	res.Classes = map[string]int{}
	for _, c := range Classes {
		res.Classes[c] = 0
	}
	res.ErrorKinds = map[string]int{}
	res.ValuesN, res.ValuesAccuracy = 0, 0
	for _, s := range samples {
		class, detail := s.Class, s.ClassDetail
		if class == "" { // a record older than the classes
			class, detail = Classify(s)
		}
		res.Classes[class]++
		if class == ClassError {
			res.ErrorKinds[detail]++
		}
		if class == ClassRight || class == ClassNames {
			res.ValuesN++
		}
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
		res.ValuesAccuracy = float64(res.ValuesN) / float64(n)
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
	fmt.Fprintf(&b, "values-only: %d / %d, accuracy %.1f%% (right up to column names and order)\n", res.ValuesN, res.Questions, 100*res.ValuesAccuracy)
	fmt.Fprintf(&b, "classes: %s\n", ClassCounts(res))
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

// FileSHA256 hashes a file and says how many bytes it read: the one file hash
// of run records, promotions and shipped bundles.
func FileSHA256(path string) (sum string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	if size, err = io.Copy(h, f); err != nil {
		return "", size, err
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
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

// Failure classes of a scored question (Sample.Class), in report order.
const (
	// ClassRight: the runner's verdict, the answer's hash, shape and ordered
	// columns equal the gold's.
	ClassRight = "right"
	// ClassNames: right values under other names or column order: the
	// names-insensitive fingerprints (judge.Fingerprint.Values) are equal.
	ClassNames = "names"
	// ClassColumns: right rows, extra or missing columns: both have the same
	// number of rows, and the one with fewer columns equals the other kept to
	// some of its columns, up to names and order (judge.Contained).
	ClassColumns = "columns"
	// ClassWrong: both ran, none of the above.
	ClassWrong = "wrong"
	// ClassError: nothing to compare; ClassDetail is the kind: http (the
	// request failed), gold (the gold failed), or the answer's failure under
	// the runner: syntax, no_result, not_dataframe, lazyframe, timeout, memory,
	// runtime.
	ClassError = "error"
	// ClassPlaceholder: no candidate ran and the server answered with its
	// placeholder code (the server log says chosen -1 and the answer is
	// "result = <a table>" or "result = pl.DataFrame()"; without a server log
	// the code alone decides). Unless it happens to be right.
	ClassPlaceholder = "placeholder"
	// ClassUnknown: a wrong answer whose record lacks the values fingerprints
	// (a run older than them).
	ClassUnknown = "unclassified"
)

// Classes lists the classes in report order (ClassUnknown only appears in old runs).
var Classes = []string{ClassRight, ClassNames, ClassColumns, ClassWrong, ClassError, ClassPlaceholder}

// ClassMeaning describes each class in a few words.
var ClassMeaning = map[string]string{
	ClassRight:       "right (the runner's verdict)",
	ClassNames:       "right values, other column names or order",
	ClassColumns:     "right rows, extra or missing columns",
	ClassWrong:       "wrong values",
	ClassError:       "error (by kind)",
	ClassPlaceholder: "placeholder (no candidate ran)",
	ClassUnknown:     "wrong, not classified (no values fingerprint)",
}

// Classify returns a sample's failure class and its detail from what the
// sample holds. The columns class is decided on the column hashes alone
// (judge.Fingerprint.ColumnsContain); the score run then confirms it row by
// row with judge.Contained and turns it into ClassWrong when rows disagree.
func Classify(s Sample) (class, detail string) {
	a, g := s.Verdict.Fingerprint, s.GoldVerdict.Fingerprint
	switch {
	case s.Correct:
		return ClassRight, ""
	case s.Kind() == "http":
		return ClassError, "http"
	case !s.GoldVerdict.OK:
		return ClassError, "gold"
	case isPlaceholder(s):
		return ClassPlaceholder, ""
	case !s.Verdict.OK:
		return ClassError, ErrorKindOf(s.Verdict.Error)
	case a.Values == "" || g.Values == "":
		return ClassUnknown, ""
	case a.ValuesEqual(g):
		if sameNames(a.Columns, g.Columns) {
			return ClassNames, "column order"
		}
		return ClassNames, "column names"
	case a.Rows == g.Rows && a.Cols > g.Cols && a.ColumnsContain(g):
		return ClassColumns, "extra: " + strings.Join(unmatched(a, g), ", ")
	case a.Rows == g.Rows && a.Cols < g.Cols && g.ColumnsContain(a):
		return ClassColumns, "missing: " + strings.Join(unmatched(g, a), ", ")
	}
	return ClassWrong, ""
}

// sameNames reports whether a and b hold the same names in any order.
func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	return strings.Join(x, "\x00") == strings.Join(y, "\x00")
}

// unmatched lists the columns of big left over once each column of small has
// taken one of big's with the same column hash (preferring the same name).
func unmatched(big, small judge.Fingerprint) []string {
	used := make([]bool, len(big.ColumnValues))
	take := func(h, name string, byName bool) bool {
		for i, bh := range big.ColumnValues {
			if !used[i] && bh == h && (!byName || big.Columns[i] == name) {
				used[i] = true
				return true
			}
		}
		return false
	}
	left := []int{}
	for i, h := range small.ColumnValues {
		if !take(h, small.Columns[i], true) {
			left = append(left, i)
		}
	}
	for _, i := range left {
		take(small.ColumnValues[i], "", false)
	}
	var out []string
	for i, u := range used {
		if !u {
			out = append(out, big.Columns[i])
		}
	}
	return out
}

// isPlaceholder reports whether the answer is the server's placeholder code.
func isPlaceholder(s Sample) bool {
	if s.Server != nil && s.Server.Chosen != nil && *s.Server.Chosen >= 0 {
		return false
	}
	code := strings.TrimSpace(s.Answer)
	if code == "result = pl.DataFrame()" {
		return true
	}
	for _, t := range s.Tables {
		if code == "result = "+t.Name {
			return true
		}
	}
	return false
}

// ErrorKindOf names the kind of a failure under the runner's script from its
// message (the last line of its stderr, or the judge's timeout), in the
// worker's words where they apply.
func ErrorKindOf(msg string) string {
	switch {
	case strings.HasPrefix(msg, "timeout"):
		return core.KindTimeout
	case strings.HasPrefix(msg, "SyntaxError") || strings.HasPrefix(msg, "IndentationError") || strings.HasPrefix(msg, "TabError"):
		return core.KindSyntax
	case strings.Contains(msg, "NameError: name 'result' is not defined"):
		return core.KindNoResult
	case strings.Contains(msg, "result must be a polars DataFrame, got LazyFrame"):
		return core.KindLazyFrame
	case strings.Contains(msg, "result must be a polars DataFrame"):
		return core.KindNotDataFrame
	case strings.HasPrefix(msg, "MemoryError") || strings.Contains(strings.ToLower(msg), "out of memory") ||
		strings.Contains(strings.ToLower(msg), "memory allocation"):
		return core.KindMemory
	}
	return core.KindRuntime
}

// ValuesRight reports whether the answer is right up to column names and
// order (classes right and names).
func ValuesRight(s Sample) bool {
	c := s.Class
	if c == "" {
		c, _ = Classify(s)
	}
	return c == ClassRight || c == ClassNames
}

// ClassCounts renders the class counts on one line, error kinds in brackets.
func ClassCounts(res Results) string {
	var parts []string
	names := append([]string(nil), Classes...)
	if res.Classes[ClassUnknown] > 0 {
		names = append(names, ClassUnknown)
	}
	for _, c := range names {
		p := fmt.Sprintf("%s %d", c, res.Classes[c])
		if c == ClassError && len(res.ErrorKinds) > 0 {
			p += " (" + kindCounts(res.ErrorKinds) + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

func kindCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
