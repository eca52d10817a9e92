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
Each round appends one line to runs/history.jsonl.`,
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
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	r, err := finetune.Improve(ctx, finetune.ImproveOptions{Harness: exe, Incumbent: o.Incumbent, Pool: o.Pool, Dev: o.Dev,
		Data: o.Data, RoundDir: o.Out, ModelsDir: o.Models, History: o.History, ScoreArgs: o.ScoreArgs,
		Hyper: o.Hyper, Quant: "q4_k_m", Quantize: llamacpp.Quantize, Python: o.Python,
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
