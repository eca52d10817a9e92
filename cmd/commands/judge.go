package commands

import (
	"fmt"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"polarsbench/datasets/core"
	"polarsbench/harness/repo"
	"polarsbench/harness/score"
	"polarsbench/harness/worker"
)

// JudgeOptions are the flags of `harness judge`.
type JudgeOptions struct {
	IO                  *IOStreams
	Bench, Data, Python string
	Workers             int
	Timeout             time.Duration
}

func newCmdJudge(ios *IOStreams) *cobra.Command {
	o := &JudgeOptions{IO: ios}
	c := &cobra.Command{
		Use:   "judge --bench FILE|DIR --data DIR",
		Short: "Check that the worker pool fingerprints every gold answer as the runner's script does",
		Long: "Runs every gold answer twice, in the warm worker pool and in a fresh interpreter with the\n" +
			"runner's script, and prints each disagreement. Exit 1 when any disagree.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runJudge(c, o) },
	}
	c.Flags().StringVar(&o.Bench, "bench", repo.DevBench(), "bench file or folder (organisers' .json or task .jsonl)")
	c.Flags().StringVar(&o.Data, "data", repo.DataDir(), "folder holding the parquet tables")
	addPolarsPython(c.Flags(), &o.Python)
	c.Flags().IntVar(&o.Workers, "workers", 0, "pool workers and parallel judges (0 = CPUs)")
	c.Flags().DurationVar(&o.Timeout, "timeout", time.Minute, "time limit per run")
	return c
}

func runJudge(c *cobra.Command, o *JudgeOptions) error {
	tasks, err := core.LoadBench(o.Bench, o.Data)
	if err != nil {
		return usageError("judge: %v", err)
	}
	py := polarsPython(o.Python)
	n := o.Workers
	if n <= 0 {
		n = runtime.NumCPU()
	}
	ctx := c.Context()
	pool, err := worker.NewPool(ctx, worker.Options{Python: py, Workers: n, Timeout: o.Timeout})
	if err != nil {
		return err
	}
	defer pool.Close()
	rows := score.CheckParity(ctx, pool, py, tasks, o.Timeout, n)
	w := o.IO.Out
	agree, unstable := 0, 0
	for _, r := range rows {
		id := r.Task.ID
		switch r.Status() {
		case score.ParityError:
			fmt.Fprintf(w, "%s: error: %v\n", id, r.Err)
		case score.ParityGoldFailed:
			fmt.Fprintf(w, "%s: gold failed: pool %s %s | runner %s\n", id, r.Pool.ErrorKind, r.Pool.Error, r.Runner.Error)
		case score.ParityUnstable:
			unstable++
			fmt.Fprintf(w, "%s: nondeterministic gold: %d different fingerprints in %d fresh runner processes\n", id, r.Variants, score.ParityRuns)
		case score.ParityDisagree:
			fmt.Fprintf(w, "%s: DISAGREE pool %+v runner %+v\n", id, r.Pool.Fingerprint, r.Runner.Fingerprint)
		default:
			agree++
		}
	}
	fmt.Fprintf(w, "%d/%d fingerprints agree", agree, len(tasks))
	if unstable > 0 {
		fmt.Fprintf(w, " (%d more gold answers vary between runner processes: polars' hash seed)", unstable)
	}
	fmt.Fprintln(w)
	if bad := len(tasks) - agree - unstable; bad > 0 {
		return fmt.Errorf("judge: %d of %d gold answers disagree or fail", bad, len(tasks))
	}
	return nil
}
