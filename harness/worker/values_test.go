package worker

import (
	"context"
	"strings"
	"testing"
	"time"

	"polarsbench/harness/fingerprint"
	"polarsbench/harness/judge"
)

// The worker runs the shared fingerprint source (the judge's), put in at its marker.
func TestValuesSourceIsTheJudges(t *testing.T) {
	if strings.Contains(script, fingerprint.Marker) || !strings.Contains(script, fingerprint.Python) {
		t.Fatal("worker.py's fingerprint.py marker was not replaced by harness/fingerprint/fingerprint.py")
	}
}

// TestValuesFingerprint: the names-insensitive fingerprint ignores column names,
// column order and row order, sees any changed value, and equals the judge's.
func TestValuesFingerprint(t *testing.T) {
	p := newPool(t, Options{Workers: 1})
	tables := films(t)
	base := `result = sk_films.group_by("rating").agg(pl.len().alias("n"), pl.col("length_min").mean().alias("longest"))`
	same := []string{
		base,
		base + `.rename({"n": "film_count", "rating": "r"})`,                  // other names
		base + `.select("longest", "rating", "n")`,                            // other column order
		base + `.sort("n", descending=True).select("n", "rating", "longest")`, // both, other row order
	}
	differ := []string{
		base + `.with_columns(pl.col("n") + 1)`,                                  // one value changed
		base + `.head(4)`,                                                        // a row fewer
		base + `.with_columns(pl.col("n").cast(pl.Float64))`,                     // printed otherwise in CSV (975.0)
		base + `.sort("rating").with_columns(pl.col("longest").shuffle(seed=7))`, // same column multisets, other rows
	}
	run := func(code string) judge.Fingerprint {
		t.Helper()
		out, err := p.Exec(context.Background(), Job{Tables: tables, Code: code})
		if err != nil || !out.OK {
			t.Fatalf("%s: %v %s %s", code, err, out.ErrorKind, out.Error)
		}
		fp := out.Fingerprint
		if len(fp.Values) != 16 || len(fp.ColumnValues) != fp.Cols {
			t.Fatalf("%s: values %q, column values %v", code, fp.Values, fp.ColumnValues)
		}
		return fp
	}
	ref := run(base)
	hashes := map[string]bool{}
	for _, code := range same {
		fp := run(code)
		hashes[fp.Hash] = true
		if !fp.ValuesEqual(ref) {
			t.Errorf("%s: values %s, want %s", code, fp.Values, ref.Values)
		}
		if !fp.ColumnsContain(ref) || !ref.ColumnsContain(fp) {
			t.Errorf("%s: column values %v vs %v", code, fp.ColumnValues, ref.ColumnValues)
		}
	}
	if len(hashes) != len(same) {
		t.Errorf("the runner's hashes should all differ: %v", hashes)
	}
	for _, code := range differ {
		if fp := run(code); fp.ValuesEqual(ref) {
			t.Errorf("%s: values equal the base's", code)
		}
	}
	// The last one keeps every column's multiset: only the pairing of rows changed.
	if fp := run(differ[3]); !fp.ColumnsContain(ref) {
		t.Errorf("shuffled column: column values %v vs %v", fp.ColumnValues, ref.ColumnValues)
	}

	// The judge computes the same fingerprint from the runner's script, edge shapes included.
	py := python(t)
	for _, code := range []string{same[1], differ[2],
		`result = sk_films.filter(pl.col("length_min") < 0)`, // no rows
		`result = pl.DataFrame()`,                            // no columns
		`result = sk_films.select("title", pl.col("title").alias("t2"), pl.lit(None).alias("nothing"))`, // equal and null columns
	} {
		out, err := p.Exec(context.Background(), Job{Tables: tables, Code: code})
		v, jerr := judge.Run(context.Background(), py, tables, code, time.Minute)
		if err != nil || jerr != nil || !out.OK || !v.OK {
			t.Fatalf("%s: %v %v %+v %+v", code, err, jerr, out, v)
		}
		if out.Fingerprint.Values == "" || out.Fingerprint.Values != v.Fingerprint.Values ||
			strings.Join(out.Fingerprint.ColumnValues, ",") != strings.Join(v.Fingerprint.ColumnValues, ",") || !out.Fingerprint.Equal(v.Fingerprint) {
			t.Errorf("%s: worker %+v, judge %+v", code, out.Fingerprint, v.Fingerprint)
		}
	}
}
