package finetune

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"

	"polarsbench/harness/proc"
	"polarsbench/harness/runlog"
)

// ImproveOptions configures one retraining round.
type ImproveOptions struct {
	Harness   string // bin/harness, run as a subprocess for score and datasets export
	Incumbent string // the model now in use (GGUF); also the fine-tune base
	Pool      string // training pool (tasks `harness score` and `datasets export --synth` read)
	Dev       string // held-out bench both models are compared on
	Data      string // parquet folder for score
	RoundDir  string // where this round's runs, training file and candidate go
	ModelsDir string // models/: DEFAULT and promotions.jsonl are written here on promotion
	History   string // runs/history.jsonl: one line appended per round
	ScoreArgs []string
	// GoldOnly trains on the pool's gold code alone, without first scoring the
	// incumbent on the pool: for a weak incumbent that run costs hours and adds
	// few verified answers.
	GoldOnly bool
	// Resume goes on with a round folder an earlier call left unfinished: the
	// score runs continue where they stopped, the fine-tune from its checkpoint.
	Resume   bool
	Hyper    Hyper
	Quant    string
	Quantize Quantizer
	Python   string
	Progress *Progress
	Log      io.Writer // the subprocesses' output (default: discarded)
}

// Round is one line of runs/history.jsonl.
type Round struct {
	Started        time.Time `json:"started"`
	Finished       time.Time `json:"finished"`
	Incumbent      string    `json:"incumbent"`
	Candidate      string    `json:"candidate"`
	Pool           string    `json:"pool"`
	Dev            string    `json:"dev"`
	PoolRun        string    `json:"pool_run,omitempty"` // empty when trained on the pool's gold only
	TrainData      string    `json:"train_data"`
	DevIncumbent   string    `json:"dev_incumbent_run"`
	DevCandidate   string    `json:"dev_candidate_run"`
	Manifest       Manifest  `json:"finetune"`
	Decision       Decision  `json:"decision"`
	PromotedAs     string    `json:"promoted_as,omitempty"`
	ScoreArgs      []string  `json:"score_args,omitempty"`
	IncumbentScore any       `json:"dev_incumbent_results,omitempty"`
	CandidateScore any       `json:"dev_candidate_results,omitempty"`
	Error          string    `json:"error,omitempty"` // why the round stopped early
}

// Improve scores the incumbent on the pool, exports its verified solutions,
// fine-tunes the incumbent on them, scores candidate and incumbent on the dev
// bench with the same flags, and promotes the candidate only when Decide says so.
// Every round, promoted, kept or failed, is appended to History.
func Improve(ctx context.Context, o ImproveOptions) (Round, error) {
	r, err := improve(ctx, o)
	r.Finished = time.Now().UTC()
	if err != nil {
		r.Error = err.Error()
	}
	if herr := runlog.Append(o.History, r); herr != nil && err == nil {
		err = fmt.Errorf("history: %w", herr)
	}
	return r, err
}

func improve(ctx context.Context, o ImproveOptions) (Round, error) {
	r := Round{Started: time.Now().UTC(), Incumbent: o.Incumbent, Pool: o.Pool, Dev: o.Dev, ScoreArgs: o.ScoreArgs}
	if o.Progress == nil {
		o.Progress = &Progress{W: io.Discard}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := os.MkdirAll(o.RoundDir, 0o755); err != nil {
		return r, err
	}
	score := func(bench, model, out string) error {
		log := io.MultiWriter(o.Log, &scoreProgress{p: o.Progress})
		if _, err := os.Stat(filepath.Join(out, "results.json")); o.Resume && err == nil {
			o.Progress.Line("score %s on %s: resume %s", filepath.Base(model), bench, out)
			return runTool(ctx, []string{o.Harness, "score", "--resume", out}, log)
		}
		o.Progress.Line("score %s on %s -> %s", filepath.Base(model), bench, out)
		argv := append([]string{o.Harness, "score", "--bench", bench, "--data", o.Data, "--model", model, "--out", out}, o.ScoreArgs...)
		return runTool(ctx, argv, log)
	}
	export := []string{o.Harness, "datasets", "export", "--synth", o.Pool}
	if !o.GoldOnly {
		r.PoolRun = filepath.Join(o.RoundDir, "pool-incumbent")
		if err := score(o.Pool, o.Incumbent, r.PoolRun); err != nil {
			return r, err
		}
		export = append(export, "--runs", r.PoolRun)
	}
	r.TrainData = filepath.Join(o.RoundDir, "train.jsonl")
	o.Progress.Line("export training data -> %s", r.TrainData)
	if err := runTool(ctx, append(export, "--out", r.TrainData), o.Log); err != nil {
		return r, err
	}
	m, err := Run(ctx, Options{Base: o.Incumbent, Data: r.TrainData, Out: filepath.Join(o.RoundDir, "finetune"),
		Hyper: o.Hyper, Quant: o.Quant, Quantize: o.Quantize, Python: o.Python, Progress: o.Progress, Resume: o.Resume})
	r.Manifest = m
	if err != nil {
		return r, fmt.Errorf("fine-tune: %w", err)
	}
	r.Candidate = m.Output.Path
	r.DevCandidate = filepath.Join(o.RoundDir, "dev-candidate")
	r.DevIncumbent = filepath.Join(o.RoundDir, "dev-incumbent")
	if err := score(o.Dev, r.Candidate, r.DevCandidate); err != nil {
		return r, err
	}
	if err := score(o.Dev, o.Incumbent, r.DevIncumbent); err != nil {
		return r, err
	}
	r.IncumbentScore, r.CandidateScore = readResults(r.DevIncumbent), readResults(r.DevCandidate)
	inc, err := ReadOutcomes(filepath.Join(r.DevIncumbent, "samples.jsonl"))
	if err != nil {
		return r, err
	}
	cand, err := ReadOutcomes(filepath.Join(r.DevCandidate, "samples.jsonl"))
	if err != nil {
		return r, err
	}
	if r.Decision, err = Decide(inc, cand); err != nil {
		return r, err
	}
	if r.Decision.Promote {
		if r.PromotedAs, err = promote(o.ModelsDir, r.Candidate, r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// promote copies the candidate into models/ under a dated name, points
// models/DEFAULT at it and records the promotion in models/promotions.jsonl.
func promote(modelsDir, candidate string, r Round) (string, error) {
	name := "ft-" + r.Started.Format("20060102T150405") + "-" + filepath.Base(candidate)
	if err := os.MkdirAll(modelsDir, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(modelsDir, name)
	if err := copyFile(candidate, dst+".part", 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(dst+".part", dst); err != nil {
		return "", err
	}
	tmp := filepath.Join(modelsDir, "DEFAULT.tmp")
	if err := os.WriteFile(tmp, []byte(name+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, filepath.Join(modelsDir, "DEFAULT")); err != nil {
		return "", err
	}
	rec := map[string]any{"time": time.Now().UTC(), "model": name, "sha256": r.Manifest.Output.SHA256,
		"replaces": r.Incumbent, "decision": r.Decision, "base_sha256": r.Manifest.Base.SHA256,
		"data_sha256": r.Manifest.Data.SHA256, "git_commit": r.Manifest.GitCommit}
	return name, runlog.Append(filepath.Join(modelsDir, "promotions.jsonl"), rec)
}

func readResults(runDir string) any {
	var v any
	if b, err := os.ReadFile(filepath.Join(runDir, "results.json")); err == nil && json.Unmarshal(b, &v) == nil {
		return v
	}
	return nil
}

// runTool runs one harness subcommand; an interrupt reaches it as SIGINT.
func runTool(ctx context.Context, argv []string, log io.Writer) error {
	p, err := proc.Run(ctx, proc.Spec{Path: argv[0], Args: argv[1:], StdoutTo: log, StderrTo: log, TailStdout: true,
		StopSignal: syscall.SIGINT, Grace: childGrace})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s interrupted", filepath.Base(argv[0]), argv[1])
		}
		tail := proc.NewTail(0) // the child did not start: nothing said
		if p != nil {
			tail = p.Tail()
		}
		var ee *proc.ExitError
		if errors.As(err, &ee) {
			err = ee.Err // the tail's line follows once, below
		}
		return fmt.Errorf("%s %s failed (%v): %s", filepath.Base(argv[0]), argv[1], err, lastLine(tail))
	}
	return nil
}

// scoreProgress passes a score child's per-question lines ("[n/N] acc ...
// s/q ...") on to the round's progress with an ETA; the rest stays in the log.
type scoreProgress struct {
	mu   sync.Mutex // the child's stdout and stderr are copied concurrently
	p    *Progress
	part []byte
}

var scoreLine = regexp.MustCompile(`^\[(\d+)/(\d+)\] .*?([\d.]+) s/q`)

func (w *scoreProgress) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part = append(w.part, b...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := string(w.part[:i])
		w.part = w.part[i+1:]
		if m := scoreLine.FindStringSubmatch(line); m != nil {
			done, _ := strconv.Atoi(m[1])
			total, _ := strconv.Atoi(m[2])
			perQ, _ := strconv.ParseFloat(m[3], 64)
			w.p.Status(fmt.Sprintf("score %s  eta %.0fs", line, float64(total-done)*perQ), done == total)
		}
	}
}
