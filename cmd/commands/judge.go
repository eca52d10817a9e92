package commands

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
	"polarsbench/harness/repo"
	"polarsbench/harness/worker"
)

// JudgeOptions are the flags of `harness judge`.
type JudgeOptions struct {
	Bench, Data, Python string
	Workers             int
	Timeout             time.Duration
}

func newCmdJudge() *cobra.Command {
	o := &JudgeOptions{}
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
	c.Flags().StringVar(&o.Python, "python", "", "interpreter with polars (default: the project venv)")
	c.Flags().IntVar(&o.Workers, "workers", 0, "pool workers and parallel judges (0 = CPUs)")
	c.Flags().DurationVar(&o.Timeout, "timeout", time.Minute, "time limit per run")
	return c
}

func runJudge(c *cobra.Command, o *JudgeOptions) error {
	tasks, err := core.LoadBench(o.Bench, o.Data)
	if err != nil {
		return usageError("judge: %v", err)
	}
	py := o.Python
	if py == "" {
		py = repo.Python()
	}
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
	type row struct {
		pool     worker.Outcome
		fresh    judge.Verdict
		unstable int // distinct runner fingerprints over repeated fresh runs, after a disagreement
		err      error
	}
	rows := make([]row, len(tasks))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i := range tasks {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t := tasks[i]
			out, err := pool.Exec(ctx, worker.Job{Tables: t.Tables, Code: t.GoldCode})
			if err != nil {
				rows[i].err = err
				return
			}
			rows[i].pool = out
			rows[i].fresh, rows[i].err = judge.Run(ctx, py, t.Tables, t.GoldCode, o.Timeout)
			if rows[i].err == nil && out.OK && rows[i].fresh.OK && !out.Fingerprint.Equal(rows[i].fresh.Fingerprint) {
				// Is it the pool, or does the gold differ between fresh runner processes too?
				fps, err := judge.Distinct(ctx, py, t.Tables, t.GoldCode, o.Timeout, 3)
				rows[i].unstable, rows[i].err = len(fps), err
			}
		}(i)
	}
	wg.Wait()
	w := c.OutOrStdout()
	agree, unstable := 0, 0
	for i, r := range rows {
		id := tasks[i].ID
		switch {
		case r.err != nil:
			fmt.Fprintf(w, "%s: error: %v\n", id, r.err)
		case !r.pool.OK || !r.fresh.OK:
			fmt.Fprintf(w, "%s: gold failed: pool %s %s | runner %s\n", id, r.pool.ErrorKind, r.pool.Error, r.fresh.Error)
		case !r.pool.Fingerprint.Equal(r.fresh.Fingerprint) && r.unstable > 1:
			unstable++
			fmt.Fprintf(w, "%s: nondeterministic gold: %d different fingerprints in 3 fresh runner processes\n", id, r.unstable)
		case !r.pool.Fingerprint.Equal(r.fresh.Fingerprint):
			fmt.Fprintf(w, "%s: DISAGREE pool %+v runner %+v\n", id, r.pool.Fingerprint, r.fresh.Fingerprint)
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
