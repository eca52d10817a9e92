package score

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/repo"
	"polarsbench/harness/worker"
)

// skewedPool runs code in a real pool but reports another hash for one code,
// and fails outright for another: a pool that disagrees with the runner.
type skewedPool struct {
	pool         *worker.Pool
	skew, broken string
}

func (p skewedPool) Exec(ctx context.Context, j worker.Job) (worker.Outcome, error) {
	if j.Code == p.broken {
		return worker.Outcome{}, errors.New("pool broke")
	}
	out, err := p.pool.Exec(ctx, j)
	if j.Code == p.skew {
		out.Fingerprint.Hash = "0000000000000000"
	}
	return out, err
}

func TestCheckParity(t *testing.T) {
	py := repo.Python()
	if _, err := os.Stat(py); err != nil {
		t.Skipf("no Python for the workers (make venv): %v", err)
	}
	products := filepath.Join(repo.DataDir(), "nw_products.parquet")
	if _, err := os.Stat(products); err != nil {
		t.Skip("data/ not built: run make data")
	}
	pool, err := worker.NewPool(context.Background(), worker.Options{Python: py, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	tables := []core.TableRef{{Name: "nw_products", Path: products, Format: "parquet"}}
	tasks := []core.Task{
		{ID: "agree", Tables: tables, GoldCode: goldAvg},
		{ID: "fails", Tables: tables, GoldCode: `result = nw_products.select("no_such_column")`},
		{ID: "skewed", Tables: tables, GoldCode: goldAvg + `.sort("category_id")`},
		{ID: "broken", Tables: tables, GoldCode: `result = nw_products.head(1)`},
	}
	want := []ParityStatus{ParityAgree, ParityGoldFailed, ParityDisagree, ParityError}
	p := skewedPool{pool: pool, skew: tasks[2].GoldCode, broken: tasks[3].GoldCode}
	rows := CheckParity(context.Background(), p, py, tasks, time.Minute, 2)
	if len(rows) != len(tasks) {
		t.Fatalf("%d rows for %d tasks", len(rows), len(tasks))
	}
	for i, r := range rows {
		if r.Task.ID != tasks[i].ID || r.Status() != want[i] {
			t.Errorf("%s: status %d, want %d (%+v)", tasks[i].ID, r.Status(), want[i], r)
		}
	}
	// A disagreement is checked against fresh runner processes: the gold is stable.
	if rows[2].Variants != 1 {
		t.Errorf("skewed: %d runner fingerprints, want 1", rows[2].Variants)
	}
	if rows[0].Runner.Fingerprint.Hash == "" || !rows[0].Pool.Fingerprint.Equal(rows[0].Runner.Fingerprint) {
		t.Errorf("agree: pool %+v runner %+v", rows[0].Pool.Fingerprint, rows[0].Runner.Fingerprint)
	}
	// Unstable is a disagreement the runner cannot reproduce itself.
	if s := (ParityRow{Pool: rows[2].Pool, Runner: rows[2].Runner, Variants: 2}).Status(); s != ParityUnstable {
		t.Errorf("two runner fingerprints: status %d", s)
	}
}
