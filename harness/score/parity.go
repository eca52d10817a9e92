package score

import (
	"context"
	"sync"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
	"polarsbench/harness/worker"
)

// The parity check behind `harness judge`: the warm worker pool must
// fingerprint every gold answer as the runner's script does in a fresh
// interpreter, or the pool's votes would not be the runner's verdicts.

// PoolExec runs code in the warm pool; *worker.Pool is the real one.
type PoolExec interface {
	Exec(ctx context.Context, j worker.Job) (worker.Outcome, error)
}

// ParityStatus is how one gold answer came out of the parity check.
type ParityStatus int

const (
	ParityAgree      ParityStatus = iota // same fingerprint in the pool and the runner's script
	ParityError                          // the check itself broke (no Python, ctx done)
	ParityGoldFailed                     // the gold did not run in the pool or in the runner's script
	ParityUnstable                       // fresh runner processes disagree among themselves (polars' hash seed)
	ParityDisagree                       // the pool and the runner's script differ
)

// ParityRuns is how many fresh runner processes tell a disagreement from a
// gold answer the runner itself cannot reproduce.
const ParityRuns = 3

// ParityRow is one gold answer run in the pool and by the runner's script.
type ParityRow struct {
	Task   core.Task
	Pool   worker.Outcome
	Runner judge.Verdict
	// Variants is the number of distinct runner fingerprints over ParityRuns
	// fresh processes, counted only after a disagreement.
	Variants int
	Err      error
}

// Status classifies the row.
func (r ParityRow) Status() ParityStatus {
	switch {
	case r.Err != nil:
		return ParityError
	case !r.Pool.OK || !r.Runner.OK:
		return ParityGoldFailed
	case !r.Pool.Fingerprint.Equal(r.Runner.Fingerprint) && r.Variants > 1:
		return ParityUnstable
	case !r.Pool.Fingerprint.Equal(r.Runner.Fingerprint):
		return ParityDisagree
	}
	return ParityAgree
}

// CheckParity runs the gold code of every task in pool and with the runner's
// script (python, timeout per run), parallel tasks at a time; rows are in
// task order.
func CheckParity(ctx context.Context, pool PoolExec, python string, tasks []core.Task, timeout time.Duration, parallel int) []ParityRow {
	rows := make([]ParityRow, len(tasks))
	sem := make(chan struct{}, max(1, parallel))
	var wg sync.WaitGroup
	for i := range tasks {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t := tasks[i]
			r := &rows[i]
			r.Task = t
			out, err := pool.Exec(ctx, worker.Job{Tables: t.Tables, Code: t.GoldCode})
			if err != nil {
				r.Err = err
				return
			}
			r.Pool = out
			r.Runner, r.Err = judge.Run(ctx, python, t.Tables, t.GoldCode, timeout)
			if r.Err == nil && out.OK && r.Runner.OK && !out.Fingerprint.Equal(r.Runner.Fingerprint) {
				// Is it the pool, or does the gold differ between fresh runner processes too?
				fps, err := judge.Distinct(ctx, python, t.Tables, t.GoldCode, timeout, ParityRuns)
				r.Variants, r.Err = len(fps), err
			}
		}(i)
	}
	wg.Wait()
	return rows
}
