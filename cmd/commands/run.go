package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/spf13/cobra"

	"polarsbench/datasets/core"
)

type runOptions struct {
	IO *IOStreams
	solverFlags
	Bench string
	Data  string
	Out   string
	Limit int
}

func newCmdRun(ios *IOStreams) *cobra.Command {
	o := &runOptions{IO: ios}
	c := &cobra.Command{
		Use:   "run --bench FILE|DIR --data DIR --out FILE",
		Short: "Batch mode: answer every question of a bench in-process, one JSON line each",
		Long: `Answer every question of a bench with the in-process pipeline (no HTTP) and write one
JSON line per question to --out: the question id and the full log record (answer, candidates,
votes, timings). It does not judge: use ` + "`harness score`" + ` for runner-identical scoring.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runRun(c.Context(), o) },
	}
	o.solverFlags.add(c)
	c.Flags().StringVar(&o.Bench, "bench", "", "bench file or folder (organisers' .json or task .jsonl)")
	c.Flags().StringVar(&o.Data, "data", "data", "folder holding the parquet files")
	c.Flags().StringVar(&o.Out, "out", "", "output JSON-lines file")
	c.Flags().IntVar(&o.Limit, "limit", 0, "answer only the first N questions")
	return c
}

func runRun(ctx context.Context, o *runOptions) error {
	stderr := o.IO.ErrOut
	if o.Bench == "" || o.Out == "" {
		return usageError("--bench and --out are required")
	}
	tasks, err := core.LoadBench(o.Bench, o.Data)
	if err != nil {
		return err
	}
	if o.Limit > 0 && o.Limit < len(tasks) {
		tasks = tasks[:o.Limit]
	}
	f, err := os.Create(o.Out)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := o.solverFlags.open(ctx, log.New(stderr, "run: ", log.LstdFlags))
	if err != nil {
		return err
	}
	defer st.Close()
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for i, t := range tasks {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rec := st.Solver.Solve(ctx, t.Question, t.Tables, t.ID)
		if err := enc.Encode(map[string]any{"id": t.ID, "category": t.Category, "record": rec}); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "[%d/%d] %s %.1fs chosen=%d %s\n", i+1, len(tasks), t.ID, rec.TimingsMS.Total/1000, rec.Chosen, rec.Error)
	}
	return nil
}
