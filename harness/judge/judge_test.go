package judge

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/repo"
)

func TestScriptShape(t *testing.T) {
	s := Script([]core.TableRef{
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
	tables := []core.TableRef{{Name: "sk_films", Path: filepath.Join(repo.DataDir(), "sk_films.parquet"), Format: "parquet"}}
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
	if _, err := Run(ctx, py, []core.TableRef{{Name: "a b", Path: "x"}}, "", time.Minute); err == nil {
		t.Fatal("a bad table name must be an error")
	}
}

func TestValuesEqualAndColumnsContain(t *testing.T) {
	a := Fingerprint{Hash: "h1", Rows: 3, Cols: 2, Columns: []string{"k", "n"}, Values: "V", ColumnValues: []string{"K", "N"}}
	b := Fingerprint{Hash: "h2", Rows: 3, Cols: 2, Columns: []string{"n", "key"}, Values: "V", ColumnValues: []string{"N", "K"}}
	if !a.ValuesEqual(b) || a.Equal(b) {
		t.Fatal("same values under other names must be values-equal, not equal")
	}
	if old := (Fingerprint{Hash: "h1", Rows: 3, Cols: 2, Columns: []string{"k", "n"}}); old.ValuesEqual(old) {
		t.Fatal("no values fingerprint: never values-equal")
	}
	wide := Fingerprint{Rows: 3, Cols: 3, Values: "W", ColumnValues: []string{"X", "N", "K"}}
	if !wide.ColumnsContain(a) || a.ColumnsContain(wide) || !a.ColumnsContain(b) {
		t.Fatal("containment by column hashes")
	}
	twice := Fingerprint{Rows: 3, Cols: 2, Values: "T", ColumnValues: []string{"K", "K"}}
	if wide.ColumnsContain(twice) {
		t.Fatal("each column must match a distinct one")
	}
}

func TestRunValuesAndContained(t *testing.T) {
	py := repo.Python()
	if _, err := os.Stat(py); err != nil {
		t.Skipf("no venv: %v", err)
	}
	tables := []core.TableRef{{Name: "sk_films", Path: filepath.Join(repo.DataDir(), "sk_films.parquet"), Format: "parquet"}}
	if _, err := os.Stat(tables[0].Path); err != nil {
		t.Skipf("no built tables: %v", err)
	}
	if s := ScriptWithValues(tables, "result = sk_films"); !strings.HasPrefix(s, Script(tables, "result = sk_films")) {
		t.Fatal("the values trailer must follow the runner's script unchanged")
	}
	ctx := context.Background()
	gold := `result = sk_films.group_by("rating").agg(pl.len().alias("n"))`
	v1, err := Run(ctx, py, tables, gold, time.Minute)
	v2, err2 := Run(ctx, py, tables, "print('noise')\n"+`result = sk_films.group_by("rating").agg(pl.len().alias("count")).select("count", "rating")`, time.Minute)
	if err != nil || err2 != nil || !v1.OK || !v2.OK {
		t.Fatalf("%v %v %+v %+v", err, err2, v1, v2)
	}
	if Match(v1, v2) || !v1.Fingerprint.ValuesEqual(v2.Fingerprint) || len(v1.Fingerprint.ColumnValues) != 2 {
		t.Fatalf("renamed and reordered: %+v vs %+v", v1.Fingerprint, v2.Fingerprint)
	}
	// The trailer never turns a failure into a success or the reverse.
	if v, err := Run(ctx, py, tables, "result = sk_films.lazy()", time.Minute); err != nil || v.OK || !strings.Contains(v.Error, "TypeError") {
		t.Fatalf("lazy: %v %+v", err, v)
	}

	extra := `result = sk_films.group_by("rating").agg(pl.len().alias("films"), pl.col("length_min").mean().alias("avg_len"))`
	shuffled := `result = sk_films.group_by("rating").agg(pl.len().alias("films"), pl.col("length_min").mean().alias("avg_len")).sort("rating").with_columns(pl.col("films").shuffle(seed=1))`
	missing := `result = sk_films.select("rating").unique()`
	for _, c := range []struct {
		name, big, small string
		want             bool
	}{
		{"extra column", extra, gold, true},
		{"missing column", gold, missing, true},
		{"rows not aligned", shuffled, gold, false},
		{"other rows", `result = sk_films.group_by("rating").agg(pl.len().alias("n"), pl.lit(1).alias("one")).head(3)`, gold, false},
		{"a code fails", "result = 1", gold, false},
	} {
		got, err := Contained(ctx, py, tables, c.big, c.small, time.Minute)
		if err != nil || got != c.want {
			t.Errorf("%s: contained %v (%v), want %v", c.name, got, err, c.want)
		}
	}
}
