// Package finetune runs the LoRA fine-tune script (train_lora.py, its own venv)
// as a supervised child, quantizes and checks the result, decides promotions
// and builds the shipped submission tree.
package finetune

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"polarsbench/harness/repo"
	"polarsbench/harness/score"
)

// Hyper holds the training hyperparameters passed to train_lora.py.
type Hyper struct {
	Rank          int     `json:"rank"`
	Alpha         float64 `json:"alpha"`
	Dropout       float64 `json:"dropout"`
	TargetModules string  `json:"target_modules"`
	LR            float64 `json:"lr"`
	Epochs        float64 `json:"epochs"`
	MaxSteps      int     `json:"max_steps"`
	BatchSize     int     `json:"batch_size"`
	GradAccum     int     `json:"grad_accum"`
	MaxLength     int     `json:"max_length"`
	Seed          int     `json:"seed"`
	OutType       string  `json:"outtype"` // f16 or q8_0: the merged GGUF before quantizing
	Threads       int     `json:"threads"`
	// CheckpointEvery is how many optimizer steps go between two checkpoints
	// (OUT/checkpoint); an interrupt and the last step always write one.
	CheckpointEvery int `json:"checkpoint_every"`
}

// DefaultHyper returns the script's defaults.
func DefaultHyper() Hyper {
	return Hyper{Rank: 16, Alpha: 32, TargetModules: "q,k,v,o,gate,up,down", LR: 2e-4, Epochs: 1,
		BatchSize: 4, GradAccum: 1, MaxLength: 1024, OutType: "f16", CheckpointEvery: 20}
}

// Args renders the hyperparameters as train_lora.py flags.
func (h Hyper) Args() []string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	a := []string{"--rank", strconv.Itoa(h.Rank), "--alpha", f(h.Alpha), "--dropout", f(h.Dropout), "--target-modules", h.TargetModules,
		"--lr", f(h.LR), "--epochs", f(h.Epochs), "--max-steps", strconv.Itoa(h.MaxSteps),
		"--batch-size", strconv.Itoa(h.BatchSize), "--grad-accum", strconv.Itoa(h.GradAccum),
		"--max-length", strconv.Itoa(h.MaxLength), "--seed", strconv.Itoa(h.Seed), "--outtype", h.OutType,
		"--checkpoint-every", strconv.Itoa(h.CheckpointEvery)}
	if h.Threads > 0 {
		a = append(a, "--threads", strconv.Itoa(h.Threads))
	}
	return a
}

// Quantizer turns a GGUF into another type (llamacpp.Quantize in the binary).
type Quantizer func(in, out, typ string) error

// Checker loads a model and answers one question with it (llamacpp.Load + Generate in the binary).
type Checker func(ctx context.Context, model, question string) (string, error)

// Options configures one fine-tune run.
type Options struct {
	Base  string // HF folder or .gguf
	Data  string // JSON lines from `harness datasets export`
	Out   string // output folder
	Hyper Hyper
	// Quant is the final GGUF type; "" keeps the converter's output as the result.
	Quant    string
	Quantize Quantizer
	// Check answers CheckQuestion with the final model; nil skips the check.
	Check         Checker
	CheckQuestion string
	// Resume continues from Out/checkpoint when there is one (the script checks
	// that data and hyperparameters are the same); a run that had finished
	// training goes straight to merging.
	Resume bool
	// ZeroAdapter skips training: the merged model is the base itself, through
	// the same dequantize, merge, convert and quantize steps (what the round
	// trip alone costs in accuracy).
	ZeroAdapter bool
	Python      string   // default Python()
	Launcher    []string // e.g. ["accelerate", "launch"] for several GPUs; empty runs the script directly
	Progress    *Progress
}

// FileRef identifies a file in the manifest.
type FileRef struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// Manifest is DIR/manifest.json: what went in, what came out, how long it took.
type Manifest struct {
	Base       FileRef            `json:"base"`
	Data       FileRef            `json:"data"`
	Merged     FileRef            `json:"merged_gguf"`
	Output     FileRef            `json:"output"`
	Quant      string             `json:"quant"`
	Hyper      Hyper              `json:"hyperparameters"`
	GitCommit  string             `json:"git_commit"`
	Started    time.Time          `json:"started"`
	Finished   time.Time          `json:"finished"`
	Timings    map[string]float64 `json:"timings_s"`
	Train      Event              `json:"train_summary"`
	CheckQ     string             `json:"check_question,omitempty"`
	CheckA     string             `json:"check_answer,omitempty"`
	ScriptArgv []string           `json:"script_argv"`
}

// Run trains, merges and converts through the script, quantizes, checks the
// result with one question and writes Out/manifest.json.
func Run(ctx context.Context, o Options) (Manifest, error) {
	m := Manifest{Started: time.Now().UTC(), Hyper: o.Hyper, Quant: o.Quant, Timings: map[string]float64{}}
	if o.Python == "" {
		o.Python = Python()
	}
	if err := CheckPython(o.Python); err != nil {
		return m, err
	}
	if o.Progress == nil {
		o.Progress = &Progress{W: io.Discard}
	}
	var err error
	if m.Base, err = refOf(o.Base); err != nil {
		return m, fmt.Errorf("base: %w", err)
	}
	if m.Data, err = refOf(o.Data); err != nil {
		return m, fmt.Errorf("data: %w", err)
	}
	if o.Quant != "" && o.Quantize == nil {
		return m, errors.New("a quantization type was asked for without a quantizer")
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return m, err
	}
	m.GitCommit = gitCommit()

	// `accelerate launch` starts the interpreter itself; otherwise the venv's python does.
	argv := []string{o.Python}
	if len(o.Launcher) > 0 {
		argv = append([]string{}, o.Launcher...)
	}
	argv = append(argv, Script(), "--base", o.Base, "--data", o.Data, "--out", o.Out)
	argv = append(argv, o.Hyper.Args()...)
	if o.Resume {
		argv = append(argv, "--resume")
	}
	if o.ZeroAdapter {
		argv = append(argv, "--zero-adapter")
	}
	m.ScriptArgv = argv
	t := time.Now()
	done, err := runChild(ctx, argv, nil, o.Progress.Event)
	if err != nil {
		return m, err
	}
	m.Timings["script"] = time.Since(t).Seconds()
	m.Timings["train"], m.Timings["merge"], m.Timings["convert"] = done.TrainS, done.MergeS, done.ConvertS
	m.Train = done
	if done.GGUF == "" {
		return m, errors.New("the script wrote no GGUF (outtype none?): nothing to quantize or check")
	}
	if m.Merged, err = refOf(done.GGUF); err != nil {
		return m, err
	}
	final := done.GGUF
	if o.Quant != "" {
		final = filepath.Join(o.Out, "model-"+strings.ToLower(o.Quant)+".gguf")
		o.Progress.Line("quantize %s -> %s", filepath.Base(done.GGUF), filepath.Base(final))
		t = time.Now()
		if err := o.Quantize(done.GGUF, final, o.Quant); err != nil {
			return m, fmt.Errorf("quantize to %s: %w", o.Quant, err)
		}
		m.Timings["quantize"] = time.Since(t).Seconds()
	}
	if m.Output, err = refOf(final); err != nil {
		return m, err
	}
	if o.Check != nil {
		o.Progress.Line("check: %s", o.CheckQuestion)
		t = time.Now()
		ans, err := o.Check(ctx, final, o.CheckQuestion)
		if err != nil {
			return m, fmt.Errorf("check of %s: %w", final, err)
		}
		if strings.TrimSpace(ans) == "" {
			return m, fmt.Errorf("check of %s: the model answered nothing", final)
		}
		m.Timings["check"] = time.Since(t).Seconds()
		m.CheckQ, m.CheckA = o.CheckQuestion, ans
	}
	m.Finished = time.Now().UTC()
	m.Timings["total"] = m.Finished.Sub(m.Started).Seconds()
	return m, writeJSON(filepath.Join(o.Out, "manifest.json"), m)
}

func refOf(path string) (FileRef, error) {
	st, err := os.Stat(path)
	if err != nil {
		return FileRef{}, err
	}
	abs, _ := filepath.Abs(path)
	if st.IsDir() {
		// A Hugging Face folder: hash its files in name order, so the same folder hashes the same.
		h := sha256.New()
		var size int64
		err := filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			sum, n, err := score.FileSHA256(p)
			rel, _ := filepath.Rel(path, p)
			fmt.Fprintf(h, "%s  %s\n", sum, rel)
			size += n
			return err
		})
		return FileRef{Path: abs, SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: size}, err
	}
	sum, n, err := score.FileSHA256(path)
	return FileRef{Path: abs, SHA256: sum, Bytes: n}, err
}

// gitCommit names the source the run was made from; "+dirty" marks local changes.
func gitCommit() string {
	root, err := repo.Root()
	if err != nil {
		return "unknown"
	}
	g := score.GitState(root)
	if g.Dirty {
		return g.Commit + "+dirty"
	}
	return g.Commit
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
