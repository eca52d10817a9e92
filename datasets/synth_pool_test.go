package datasets_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"polarsbench/datasets"
	"polarsbench/harness/repo"
	"polarsbench/harness/worker"
)

// TestSynthTasksRunInWorkerPool checks a sample of kept tasks with the
// project's worker pool, the same code path that judges answers.
func TestSynthTasksRunInWorkerPool(t *testing.T) {
	if _, err := os.Stat(filepath.Join(repo.DataDir(), "nw_orders.parquet")); err != nil {
		t.Skip("bench parquet files not built (make data)")
	}
	ctx := context.Background()
	pool, err := worker.NewPool(ctx, worker.Options{Python: repo.Python(), Workers: 2, PolarsThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	tasks, _, err := datasets.Synthesize(ctx, datasets.SynthOptions{
		TablesDir: repo.DataDir(), N: 110, Seed: 11, Heldout: 0.1,
		RandomDir: filepath.Join(t.TempDir(), "tables"), RandomFamilies: 4,
		Python: repo.Python(), Workers: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(tasks); i += 5 {
		out, err := pool.Exec(ctx, worker.Job{Tables: tasks[i].Tables, Code: tasks[i].GoldCode})
		if err != nil || !out.OK || out.Fingerprint.Rows == 0 {
			t.Errorf("task %s (%s): %v %s %s", tasks[i].ID, tasks[i].GoldCode, err, out.ErrorKind, out.Error)
		}
	}
}
