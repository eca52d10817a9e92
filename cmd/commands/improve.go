package commands

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"polarsbench/finetune"
	"polarsbench/harness/repo"
	"polarsbench/infer/llamacpp"
)

type improveOptions struct {
	IO                         *IOStreams
	Incumbent, Pool, Dev, Data string
	Out, Models, History       string
	ScoreArgs                  []string
	Hyper                      finetune.Hyper
	Python                     string
	GoldOnly, Resume           bool
}

func newCmdImprove(ios *IOStreams) *cobra.Command {
	o := &improveOptions{IO: ios, Hyper: finetune.DefaultHyper()}
	c := &cobra.Command{
		Use:   "improve --incumbent MODEL --pool FILE --dev BENCH",
		Short: "One retraining round: score, export, fine-tune, compare on dev, promote only if significantly better",
		Long: `Scores the incumbent on the training pool, exports its verified solutions with
harness datasets export, fine-tunes the incumbent on them (harness finetune run), scores
candidate and incumbent on the dev bench with the same flags, and promotes the candidate
(models/DEFAULT, models/promotions.jsonl) only when it is better with exact McNemar p < 0.1.
Each round appends one line to runs/history.jsonl. --gold-only skips the pool run and trains
on the pool's gold code alone. --resume --out DIR goes on with an interrupted round: score
runs continue where they stopped, the fine-tune from its last checkpoint.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runImprove(c.Context(), o) },
	}
	f := c.Flags()
	f.StringVar(&o.Incumbent, "incumbent", "", "model in use, GGUF (default models/DEFAULT)")
	f.StringVar(&o.Pool, "pool", "", "training pool tasks (synthetic tasks file) (required)")
	f.StringVar(&o.Dev, "dev", repo.DevBench(), "held-out bench the two models are compared on")
	f.StringVar(&o.Data, "data", repo.DataDir(), "parquet folder")
	f.StringVar(&o.Out, "out", "", "round folder (default runs/improve/<UTC time>)")
	f.StringVar(&o.Models, "models", repo.Path("models"), "models folder written on promotion")
	f.StringVar(&o.History, "history", repo.Path("runs", "history.jsonl"), "history of rounds (JSON lines)")
	f.StringArrayVar(&o.ScoreArgs, "score-arg", nil, "extra flag for every harness score call, repeatable (same configuration for both models)")
	addHyperFlags(f, &o.Hyper)
	f.IntVar(&o.Hyper.MaxLength, "max-length", o.Hyper.MaxLength, "tokens per example")
	addFinetunePython(f, &o.Python)
	f.BoolVar(&o.GoldOnly, "gold-only", false, "train on the pool's gold code only, without scoring the incumbent on the pool first")
	f.BoolVar(&o.Resume, "resume", false, "go on with the unfinished round in --out")
	return c
}

func runImprove(ctx context.Context, o *improveOptions) error {
	if o.Pool == "" {
		return usageError("improve needs --pool")
	}
	if o.Incumbent == "" {
		o.Incumbent = repo.DefaultModel()
	}
	if err := mustExist(o.Incumbent, o.Pool, o.Dev); err != nil {
		return err
	}
	if o.Out == "" {
		if o.Resume {
			return usageError("--resume needs --out, the round folder to go on with")
		}
		o.Out = repo.Path("runs", "improve", time.Now().UTC().Format("20060102T150405"))
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	logPath := filepath.Join(o.Out, "subprocesses.log")
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644) // a resumed round keeps what came before
	if err != nil {
		return err
	}
	defer logf.Close()
	r, err := finetune.Improve(ctx, finetune.ImproveOptions{Harness: exe, Incumbent: o.Incumbent, Pool: o.Pool, Dev: o.Dev,
		Data: o.Data, RoundDir: o.Out, ModelsDir: o.Models, History: o.History, ScoreArgs: o.ScoreArgs,
		GoldOnly: o.GoldOnly, Resume: o.Resume, Hyper: o.Hyper, Quant: "q4_k_m", Quantize: llamacpp.Quantize, Python: o.Python,
		Progress: finetune.NewProgress(o.IO.ErrOut), Log: logf})
	if err != nil {
		return fmt.Errorf("%w (subprocess output in %s)", err, logPath)
	}
	fmt.Fprintln(o.IO.Out, r.Decision.Reason)
	if r.PromotedAs != "" {
		fmt.Fprintf(o.IO.Out, "models/DEFAULT -> %s\n", r.PromotedAs)
	}
	return nil
}
