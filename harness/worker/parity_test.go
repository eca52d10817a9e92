package worker

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
	"polarsbench/harness/repo"
)

// TestParityDev: for every dev question, the pool's fingerprint of the gold code
// equals the one the runner's script computes in a fresh interpreter.
func TestParityDev(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 75 fresh interpreters")
	}
	py := python(t)
	tasks, err := core.LoadBench(repo.DevBench(), repo.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 75 {
		t.Fatalf("%d dev questions, want 75", len(tasks))
	}
	p := newPool(t, Options{Workers: 2, Timeout: time.Minute})
	ctx := context.Background()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		unstable []string
	)
	sem := make(chan struct{}, 2)
	for _, task := range tasks {
		wg.Add(1)
		go func(task core.Task) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out, err := p.Exec(ctx, Job{Tables: task.Tables, Code: task.GoldCode})
			if err != nil || !out.OK {
				t.Errorf("%s: pool: %v %s %s", task.ID, err, out.ErrorKind, out.Error)
				return
			}
			v, err := judge.Run(ctx, py, task.Tables, task.GoldCode, time.Minute)
			if err != nil || !v.OK {
				t.Errorf("%s: judge: %v %s", task.ID, err, v.Error)
				return
			}
			if out.Fingerprint.Equal(v.Fingerprint) {
				// Equal results: the names-insensitive fingerprints agree too.
				if out.Fingerprint.Values == "" || out.Fingerprint.Values != v.Fingerprint.Values ||
					strings.Join(out.Fingerprint.ColumnValues, ",") != strings.Join(v.Fingerprint.ColumnValues, ",") {
					t.Errorf("%s: values fingerprint: pool %+v, runner %+v", task.ID, out.Fingerprint, v.Fingerprint)
				}
				return
			}
			// A gold answer that depends on polars' per-process hash seed differs
			// between two fresh runner processes too: that is not a pool defect.
			fps, err := judge.Distinct(ctx, py, task.Tables, task.GoldCode, time.Minute, 4)
			if err != nil {
				t.Errorf("%s: %v", task.ID, err)
				return
			}
			if len(fps) < 2 {
				t.Errorf("%s: pool %+v != runner %+v, and the runner is stable", task.ID, out.Fingerprint, v.Fingerprint)
				return
			}
			mu.Lock()
			unstable = append(unstable, task.ID)
			mu.Unlock()
		}(task)
	}
	wg.Wait()
	t.Logf("gold answers the runner itself cannot reproduce: %v", unstable)
}
