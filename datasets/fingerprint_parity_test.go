package datasets_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"polarsbench/datasets"
	"polarsbench/datasets/core"
	"polarsbench/harness/fingerprint"
	"polarsbench/harness/judge"
	"polarsbench/harness/repo"
	"polarsbench/harness/worker"
)

// TestFingerprintParity: the synth helper, the Polars worker and the judge
// compute the same fingerprint of the same frames, from one Python source.
func TestFingerprintParity(t *testing.T) {
	py := repo.Python()
	if _, err := os.Stat(py); err != nil {
		t.Skipf("no Python venv at %s (run make venv)", py)
	}
	ctx := context.Background()
	helper, err := datasets.NewPyExecutor(py, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer helper.Close()
	pool, err := worker.NewPool(ctx, worker.Options{Python: py, Workers: 1, PolarsThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var tables []core.TableRef
	codes := []string{
		`result = pl.DataFrame({"b": [3, 1, 2], "a": ["x", None, "z"]})`,
		`result = pl.DataFrame({"f": [1.5, 2.0, None], "d": ["2024-01-02", "2023-12-31", "2024-02-29"]}).with_columns(pl.col("d").str.to_date())`,
		`result = pl.DataFrame({"x": [1, 1, 2], "y": [1, 1, 2]})`,      // equal columns, repeated rows
		`result = pl.DataFrame({"x": [1, 2]}).filter(pl.col("x") > 5)`, // no rows
		`result = pl.DataFrame()`, // no columns
	}
	if p := repo.DataDir() + "/sk_films.parquet"; fileExists(p) {
		tables = []core.TableRef{{Name: "sk_films", Path: p, Format: "parquet"}}
		codes = append(codes,
			`result = sk_films.group_by("rating").agg(pl.len().alias("n"), pl.col("length_min").mean())`,
			`result = sk_films.select("title", pl.col("title").alias("t2"), pl.lit(None).alias("nothing"))`)
	}
	for _, code := range codes {
		h, herr := helper.Exec(ctx, tables, code)
		w, werr := pool.Exec(ctx, worker.Job{Tables: tables, Code: code})
		v, jerr := judge.Run(ctx, py, tables, code, time.Minute)
		if herr != nil || werr != nil || jerr != nil || !h.OK || !w.OK || !v.OK {
			t.Fatalf("%s: %v %v %v | %+v | %s %s | %+v", code, herr, werr, jerr, h, w.ErrorKind, w.Error, v)
		}
		if !h.Fingerprint.Equal(v.Fingerprint) || !w.Fingerprint.Equal(v.Fingerprint) {
			t.Errorf("%s: helper %+v, worker %+v, judge %+v", code, h.Fingerprint, w.Fingerprint, v.Fingerprint)
		}
		if w.Fingerprint.Values == "" || w.Fingerprint.Values != v.Fingerprint.Values ||
			strings.Join(w.Fingerprint.ColumnValues, ",") != strings.Join(v.Fingerprint.ColumnValues, ",") {
			t.Errorf("%s: values: worker %+v, judge %+v", code, w.Fingerprint, v.Fingerprint)
		}
		// The helper computes the runner's part only: synthesis compares hashes.
		if h.Values != "" || h.ColumnValues != nil {
			t.Errorf("%s: helper values %q %v", code, h.Values, h.ColumnValues)
		}
	}
	if !strings.Contains(worker.Script(), fingerprint.Python) {
		t.Error("the worker's script lacks the shared fingerprint source")
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
