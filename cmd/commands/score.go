package commands

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"polarsbench/harness/term"
	"time"

	"github.com/spf13/cobra"

	"polarsbench/harness/repo"
	"polarsbench/harness/score"
	"polarsbench/reports"
)

// ScoreOptions are the flags of `harness score`.
type ScoreOptions struct {
	Bench, Data, Model, Endpoint, Config string
	Out, Resume, Python                  string
	Limit, K                             int
	IDs, ServeArgs                       []string
	GPUVRAMMB, GPUSecondsPerQuestion     float64
	ReadyTimeout, JudgeTimeout           time.Duration
	NoReport                             bool
}

func newCmdScore() *cobra.Command { return newCmdScoreWith(&ScoreOptions{}) }

// newCmdScoreWith binds the flags to o, so tests can parse flags without running.
func newCmdScoreWith(o *ScoreOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "score [--bench FILE|DIR] [--data DIR] [--model PATH | --endpoint URL]",
		Short: "Score a model the way the competition runner does and record the run in runs/<id>/",
		Long: `Starts ` + "`harness serve`" + ` on a free loopback port (or uses --endpoint), sends every question
on POST /chat as the runner does, times each request, samples the server tree's RSS and the
GPU memory every 0.2 s, judges answer and gold in a fresh Python with the runner's script, and
computes the official Final Score. Each question also gets a failure class: right; names (right
values under other column names or order); columns (right rows, extra or missing columns); wrong
(values); error (by kind); placeholder (no candidate ran). The summary prints the strict and the
values-only accuracy (right + names) and the class counts. Every question is appended (fsynced) to
runs/<id>/samples.jsonl as soon as it is judged; --resume RUNDIR continues a killed run.
Ctrl-C stops cleanly and prints the summary so far.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runScore(c, o) },
	}
	f := c.Flags()
	f.StringVar(&o.Bench, "bench", repo.DevBench(), "bench file or folder (organisers' .json or task .jsonl)")
	f.StringVar(&o.Data, "data", repo.DataDir(), "folder holding the parquet tables")
	f.StringVar(&o.Model, "model", "", "GGUF model for the server (default models/DEFAULT or "+repo.DefaultModelFile+")")
	f.StringVar(&o.Endpoint, "endpoint", "", "score a server already running at this URL instead of starting one")
	f.StringVar(&o.Config, "config", "", "settings file passed to the server as --config")
	f.IntVar(&o.K, "k", 0, "candidates per question passed to the server (0: its default)")
	f.StringSliceVar(&o.ServeArgs, "serve-arg", nil, "extra flag for the server child, repeatable (e.g. --serve-arg=--no-bank)")
	f.IntVar(&o.Limit, "limit", 0, "score only the first N selected questions")
	f.StringSliceVar(&o.IDs, "ids", nil, "score only these question ids (comma separated)")
	f.StringVar(&o.Out, "out", "", "run folder (default runs/<UTC time>-<model>)")
	f.StringVar(&o.Resume, "resume", "", "continue the run in this folder with the questions not yet scored")
	f.StringVar(&o.Python, "python", "", "Python with polars 1.39.3 for judging (default $HARNESS_PYTHON or .venv)")
	f.Float64Var(&o.GPUVRAMMB, "gpu-vram-mb", 1500, "estimated device-wide VRAM of a GPU plan, for the plan comparison")
	f.Float64Var(&o.GPUSecondsPerQuestion, "gpu-seconds-per-question", 0.3, "estimated seconds per question of a GPU plan")
	f.DurationVar(&o.ReadyTimeout, "ready-timeout", 10*time.Minute, "how long to wait for GET / to answer 2xx")
	f.DurationVar(&o.JudgeTimeout, "judge-timeout", 2*time.Minute, "time limit for judging one piece of code")
	f.BoolVar(&o.NoReport, "no-report", false, "do not write report.md at the end")
	return c
}

// scoreConfig builds the run's configuration; on --resume it is the stored
// one with any flag given explicitly laid over it.
func scoreConfig(c *cobra.Command, o *ScoreOptions) (score.Config, error) {
	fresh := score.Config{
		Bench: o.Bench, Data: o.Data, Model: o.Model, Endpoint: o.Endpoint, ServerConfig: o.Config,
		K: o.K, Limit: o.Limit, IDs: o.IDs, ServeArgs: o.ServeArgs,
		GPUVRAMMB: o.GPUVRAMMB, GPUSecondsPerQuestion: o.GPUSecondsPerQuestion,
	}
	if o.Resume == "" {
		return fresh, nil
	}
	prev, err := score.LoadResults(o.Resume)
	if err != nil {
		return fresh, usageError("--resume: %v", err)
	}
	cfg := prev.Config
	changed := c.Flags().Changed
	over := map[string]func(){
		"bench": func() { cfg.Bench = fresh.Bench }, "data": func() { cfg.Data = fresh.Data },
		"model": func() { cfg.Model = fresh.Model }, "endpoint": func() { cfg.Endpoint = fresh.Endpoint },
		"config": func() { cfg.ServerConfig = fresh.ServerConfig }, "k": func() { cfg.K = fresh.K },
		"limit": func() { cfg.Limit = fresh.Limit }, "ids": func() { cfg.IDs = fresh.IDs },
		"serve-arg":                func() { cfg.ServeArgs = fresh.ServeArgs },
		"gpu-vram-mb":              func() { cfg.GPUVRAMMB = fresh.GPUVRAMMB },
		"gpu-seconds-per-question": func() { cfg.GPUSecondsPerQuestion = fresh.GPUSecondsPerQuestion },
	}
	for name, apply := range over {
		if changed(name) {
			apply()
		}
	}
	return cfg, nil
}

func runScore(c *cobra.Command, o *ScoreOptions) error {
	if o.Resume != "" && o.Out != "" {
		return usageError("give --resume RUNDIR or --out RUNDIR, not both")
	}
	if o.Limit < 0 || o.K < 0 {
		return usageError("--limit and --k must not be negative")
	}
	cfg, err := scoreConfig(c, o)
	if err != nil {
		return err
	}
	if cfg.Endpoint != "" && c.Flags().Changed("model") {
		return usageError("give --model or --endpoint, not both")
	}
	if cfg.Endpoint == "" {
		if cfg.Model == "" {
			cfg.Model = repo.DefaultModel()
		}
		if cfg.Model, err = filepath.Abs(cfg.Model); err != nil {
			return err
		}
		if _, err := os.Stat(cfg.Model); err != nil {
			return usageError("model %s: not found (run `make models` or pass --model)", cfg.Model)
		}
	} else {
		cfg.Model = ""
	}
	if _, err := os.Stat(cfg.Bench); err != nil {
		return usageError("bench %s: not found", cfg.Bench)
	}
	// Select early so a bad --ids or bench fails before a model loads.
	if _, err := score.Select(cfg); err != nil {
		return usageError("%v", err)
	}
	dir := o.Resume
	if dir == "" {
		dir = o.Out
		if dir == "" {
			dir = repo.Path("runs", score.RunID(time.Now(), cfg.Model))
		}
		if st, err := os.Stat(filepath.Join(dir, score.SamplesFile)); err == nil && st.Size() > 0 {
			return usageError("run folder %s already holds samples: use --resume %s", dir, dir)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	py := o.Python
	if py == "" {
		py = repo.Python()
	}
	errOut := c.ErrOrStderr()
	tty := term.IsTerminal(errOut)
	fmt.Fprintf(errOut, "score: run folder %s\n", dir)
	res, runErr := score.Run(c.Context(), score.Options{
		Config: cfg, RunDir: dir, Resume: o.Resume != "", Exe: exe,
		ReadyTimeout: o.ReadyTimeout, Judge: score.FreshJudge(py, o.JudgeTimeout), Contained: score.FreshContained(py, o.JudgeTimeout),
		Progress: errOut, TTY: tty,
	})
	interrupted := runErr != nil && c.Context().Err() != nil
	if runErr != nil && res.Questions == 0 {
		if interrupted {
			return &ExitError{Code: 130, Err: errors.New("interrupted before any question was scored")}
		}
		return runErr // nothing scored: no summary to show
	}
	out := c.OutOrStdout()
	fmt.Fprint(out, score.Summary(res))
	if !o.NoReport && res.Questions > 0 {
		run, err := reports.LoadRun(dir)
		if err == nil {
			var path string
			if path, err = reports.Write(run); err == nil {
				fmt.Fprintf(out, "report: %s\n", path)
			}
		}
		if err != nil {
			fmt.Fprintf(errOut, "score: report: %v\n", err)
		}
	}
	if runErr != nil {
		if interrupted {
			return &ExitError{Code: 130, Err: fmt.Errorf("interrupted after %d questions; continue with: harness score --resume %s", res.Questions, dir)}
		}
		return fmt.Errorf("%v (what was scored is in %s; continue with --resume %s)", runErr, dir, dir)
	}
	return nil
}
