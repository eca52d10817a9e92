package judge

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"polarsbench/datasets"
	"polarsbench/harness/repo"
)

func TestScriptShape(t *testing.T) {
	s := Script([]datasets.TableRef{
		{Name: "a", Path: "/d/a.parquet", Format: "parquet"},
		{Name: "b", Path: "/d/it's.csv", Format: "csv"},
	}, "result = a")
	for _, want := range []string{
		"import hashlib, json\nimport polars as pl\n",
		"a = pl.read_parquet('/d/a.parquet')\n",
		`b = pl.read_csv('/d/it\'s.csv')` + "\n",
		"result = a\nif not isinstance(result, pl.DataFrame):",
		"result = result.select(result.columns)",
		"result = result.sort(result.columns)",
		"hexdigest()[:16]",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
}

func TestFingerprintEqual(t *testing.T) {
	a := Fingerprint{Hash: "h", Rows: 1, Cols: 2, Columns: []string{"x", "y"}}
	b := a
	b.Columns = []string{"y", "x"}
	if !a.Equal(a) || a.Equal(b) {
		t.Fatal("column order must count")
	}
	c := a
	c.Rows = 2
	if a.Equal(c) || Match(Verdict{OK: true, Fingerprint: a}, Verdict{OK: false, Fingerprint: a}) {
		t.Fatal("shape and a failed gold must count")
	}
}

func TestRun(t *testing.T) {
	py := repo.Python()
	if _, err := os.Stat(py); err != nil {
		t.Skipf("no venv: %v", err)
	}
	tables := []datasets.TableRef{{Name: "sk_films", Path: filepath.Join(repo.DataDir(), "sk_films.parquet"), Format: "parquet"}}
	ctx := context.Background()
	// Row order does not matter; printing before the runner's line does not either.
	v1, err := Run(ctx, py, tables, `result = sk_films.select("title", "rating")`, time.Minute)
	v2, err2 := Run(ctx, py, tables, "print('noise')\nresult = sk_films.select(\"title\", \"rating\").reverse()", time.Minute)
	if err != nil || err2 != nil || !Match(v1, v2) || v1.Fingerprint.Rows != 1000 && v1.Fingerprint.Rows == 0 {
		t.Fatalf("%v %v %+v %+v", err, err2, v1, v2)
	}
	lazy, err := Run(ctx, py, tables, "result = sk_films.lazy()", time.Minute)
	if err != nil || lazy.OK || !strings.Contains(lazy.Error, "TypeError") {
		t.Fatalf("lazy: %v %+v", err, lazy)
	}
	slow, err := Run(ctx, py, tables, "while True:\n    pass", time.Second)
	if err != nil || slow.OK || !strings.Contains(slow.Error, "timeout") {
		t.Fatalf("timeout: %v %+v", err, slow)
	}
	if _, err := Run(ctx, "/nonexistent/python", tables, "result = sk_films", time.Minute); err == nil {
		t.Fatal("a missing interpreter must be an error")
	}
	if _, err := Run(ctx, py, []datasets.TableRef{{Name: "a b", Path: "x"}}, "", time.Minute); err == nil {
		t.Fatal("a bad table name must be an error")
	}
}
