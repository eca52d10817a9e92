package schema

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/repo"
)

func dataTable(t *testing.T, name string) core.TableRef {
	t.Helper()
	p := filepath.Join(repo.DataDir(), name+".parquet")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("built tables missing (%v); run make data", err)
	}
	return core.TableRef{Name: name, Path: p, Format: "parquet"}
}

func col(t *testing.T, tb *Table, name string) Column {
	t.Helper()
	for _, c := range tb.Columns {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("table %s has no column %s", tb.Ref.Name, name)
	return Column{}
}

func TestParquetFilms(t *testing.T) {
	ref := dataTable(t, "sk_films")
	tb, err := NewCache().Describe(ref)
	if err != nil {
		t.Fatal(err)
	}
	if tb.Rows != 5000 || tb.Ref != ref {
		t.Fatalf("rows %d ref %+v", tb.Rows, tb.Ref)
	}
	if c := col(t, tb, "rating"); c.Type != "String" || strings.Join(c.Values, ",") != "G,NC-17,PG,PG-13,R" {
		t.Errorf("rating: %+v", c)
	}
	if c := col(t, tb, "rental_rate"); c.Type != "Float64" || c.Values != nil || len(c.Examples) != NumExamples {
		t.Errorf("rental_rate: %+v", c)
	}
	if c := col(t, tb, "description"); c.Values != nil {
		t.Errorf("free text listed as values: %+v", c.Values)
	}
	if len(tb.Sample) != NumSampleRows || tb.Sample[0]["film_id"] == "" {
		t.Errorf("sample: %v", tb.Sample)
	}
}

func TestParquetNullsAndDates(t *testing.T) {
	tb, err := NewCache().Describe(dataTable(t, "nw_orders"))
	if err != nil {
		t.Fatal(err)
	}
	shipped := col(t, tb, "shipped_date")
	if shipped.Nulls == 0 || shipped.Type != "String" {
		t.Errorf("shipped_date: %+v", shipped)
	}
	od := col(t, tb, "order_date")
	if od.Nulls != 0 || len(od.Examples) == 0 {
		t.Fatalf("order_date: %+v", od)
	}
	if _, err := time.Parse("2006-01-02", od.Examples[0][:10]); err != nil {
		t.Errorf("order_date example %q is not a date string", od.Examples[0])
	}
}

// Every built table: the dtypes must be the ones polars itself reports.
func TestAllTablesMatchPolars(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(repo.DataDir(), "*.parquet"))
	if len(files) == 0 {
		t.Skip("no built tables; run make data")
	}
	py := repo.Python()
	script := `import sys, json, polars as pl
print(json.dumps({p: [[k, str(v)] for k, v in pl.read_parquet_schema(p).items()] for p in sys.argv[1:]}))`
	out, err := exec.Command(py, append([]string{"-c", script}, files...)...).Output()
	if err != nil {
		t.Skipf("python with polars unavailable (%s): %v", py, err)
	}
	var want map[string][][2]string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	c := NewCache()
	for _, f := range files {
		tb, err := c.Describe(core.TableRef{Name: "t", Path: f, Format: "parquet"})
		if err != nil {
			t.Fatal(err)
		}
		w := want[f]
		if len(w) != len(tb.Columns) {
			t.Errorf("%s: %d columns, polars %d", f, len(tb.Columns), len(w))
			continue
		}
		for i, pc := range w {
			polarsType, _, _ := strings.Cut(pc[1], "(") // Datetime(time_unit=...) -> Datetime
			if tb.Columns[i].Name != pc[0] || tb.Columns[i].Type != polarsType {
				t.Errorf("%s column %d: %s %s, polars %s %s", filepath.Base(f), i,
					tb.Columns[i].Name, tb.Columns[i].Type, pc[0], pc[1])
			}
		}
	}
	if c.Len() != len(files) {
		t.Errorf("cache holds %d of %d files", c.Len(), len(files))
	}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCSVInference(t *testing.T) {
	p := writeFile(t, "t.csv", "id,price,flag,day,name,empty,mixed\n"+
		"1,2.5,true,2024-01-31,\"a, b\",,1\n"+
		"2,3,FALSE,2024-02-01,c,,x\n"+
		",1e3,,2024-02-02,c,,2\n")
	tb, err := NewCache().Describe(core.TableRef{Name: "t", Path: p, Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, c := range tb.Columns {
		got = append(got, c.Name+":"+c.Type)
	}
	want := "id:Int64 price:Float64 flag:Boolean day:String name:String empty:String mixed:String"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %s\nwant %s", strings.Join(got, " "), want)
	}
	if tb.Rows != 3 || col(t, tb, "id").Nulls != 1 || col(t, tb, "empty").Nulls != 3 {
		t.Errorf("rows %d, nulls %+v", tb.Rows, tb.Columns)
	}
	if v := col(t, tb, "name").Values; strings.Join(v, "|") != "a, b|c" {
		t.Errorf("name values %q", v)
	}
}

// Decimals: the most digits after the point a float column's values show;
// -1 for a column that is not rounded data and for every other type.
func TestDecimals(t *testing.T) {
	p := writeFile(t, "d.csv", "mpg,price,ratio,whole,n,label\n36.8,17.02,0.1234567,3.0,1,a\n,5,0.5,1e3,2,b\n")
	tb, err := NewCache().Describe(core.TableRef{Name: "d", Path: p, Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"mpg": 1, "price": 2, "ratio": -1, "whole": 0, "n": -1, "label": -1} {
		if got := col(t, tb, name).Decimals; got != want {
			t.Errorf("%s: decimals %d, want %d", name, got, want)
		}
	}
	films, err := NewCache().Describe(dataTable(t, "sk_films"))
	if err != nil {
		t.Fatal(err)
	}
	if d := col(t, films, "replacement_cost").Decimals; d != 2 {
		t.Errorf("sk_films.replacement_cost: decimals %d, want 2", d)
	}
}

// Named finds a table by the variable name it was last described under.
func TestNamed(t *testing.T) {
	c := NewCache()
	p := writeFile(t, "n.csv", "a,b\n1,2.5\n")
	if c.Named("films") != nil {
		t.Fatal("a name never described found")
	}
	if _, err := c.Describe(core.TableRef{Name: "films", Path: p, Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Describe(core.TableRef{Name: "other", Path: p, Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	if tb := c.Named("films"); tb == nil || tb.Ref.Name != "films" || col(t, tb, "b").Decimals != 1 {
		t.Errorf("Named(films) = %+v", tb)
	}
	if _, err := c.Describe(core.TableRef{Name: "gone", Path: p + ".missing", Format: "csv"}); err == nil || c.Named("gone") != nil {
		t.Errorf("a missing file named: %v", err)
	}
}

// The inference must agree with polars.read_csv itself.
func TestCSVMatchesPolars(t *testing.T) {
	p := writeFile(t, "t.csv", "a,b,c,d,e,f\n1,1.,TRUE,+1,nan,-inf\n-2,.5,false,3,1,2\n")
	out, err := exec.Command(repo.Python(), "-c",
		"import sys, polars as pl; print(' '.join(str(v) for v in pl.read_csv(sys.argv[1]).schema.values()))", p).Output()
	if err != nil {
		t.Skipf("python with polars unavailable: %v", err)
	}
	tb, err := NewCache().Describe(core.TableRef{Name: "t", Path: p, Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range tb.Columns {
		got = append(got, c.Type)
	}
	if strings.Join(got, " ") != strings.TrimSpace(string(out)) {
		t.Errorf("schema %v, polars %s", got, out)
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "bad.parquet")
	os.WriteFile(corrupt, []byte("PAR1 this is not parquet at all PAR1"), 0o644)
	ragged := writeFile(t, "r.csv", "a,b\n1,2\n3\n")
	empty := writeFile(t, "e.csv", "")
	cases := []core.TableRef{
		{Name: "gone", Path: filepath.Join(dir, "missing.parquet"), Format: "parquet"},
		{Name: "broken", Path: corrupt, Format: "parquet"},
		{Name: "ragged", Path: ragged, Format: "csv"},
		{Name: "empty", Path: empty, Format: "csv"},
		{Name: "weird", Path: ragged, Format: "xlsx"},
		{Name: "folder", Path: dir, Format: "parquet"},
	}
	c := NewCache()
	for _, ref := range cases {
		_, err := c.Describe(ref)
		if err == nil {
			t.Errorf("%s: no error", ref.Name)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "table "+ref.Name) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q should be one line naming the table", ref.Name, msg)
		}
	}
	if c.Len() != 0 {
		t.Errorf("failures were cached")
	}
}

func TestCacheHitAndInvalidation(t *testing.T) {
	p := writeFile(t, "t.csv", "a\n1\n")
	c := NewCache()
	ref := core.TableRef{Name: "x", Path: p, Format: "csv"}
	t1, err := c.Describe(ref)
	if err != nil {
		t.Fatal(err)
	}
	t2, _ := c.Describe(ref)
	if t1 != t2 {
		t.Error("second Describe read the file again")
	}
	other, _ := c.Describe(core.TableRef{Name: "y", Path: p, Format: "csv"})
	if other.Ref.Name != "y" || t1.Ref.Name != "x" || c.Len() != 1 {
		t.Errorf("renamed ref: %q, original %q, cache %d", other.Ref.Name, t1.Ref.Name, c.Len())
	}
	// A rewritten file (new size) is read again.
	os.WriteFile(p, []byte("a\n1\n2\n"), 0o644)
	t3, err := c.Describe(ref)
	if err != nil {
		t.Fatal(err)
	}
	if t3.Rows != 2 {
		t.Errorf("stale entry: %d rows", t3.Rows)
	}
}

// BenchmarkDescribeCold reads the largest table with an empty cache each time:
// the cost of a table's first question.
func BenchmarkDescribeCold(b *testing.B) {
	p := filepath.Join(repo.DataDir(), "tpch_lineitem.parquet")
	if _, err := os.Stat(p); err != nil {
		b.Skip("built tables missing")
	}
	ref := core.TableRef{Name: "tpch_lineitem", Path: p, Format: "parquet"}
	for i := 0; i < b.N; i++ {
		if _, err := NewCache().Describe(ref); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDescribeWarm(b *testing.B) {
	p := filepath.Join(repo.DataDir(), "tpch_lineitem.parquet")
	if _, err := os.Stat(p); err != nil {
		b.Skip("built tables missing")
	}
	ref := core.TableRef{Name: "tpch_lineitem", Path: p, Format: "parquet"}
	c := NewCache()
	for i := 0; i < b.N; i++ {
		if _, err := c.Describe(ref); err != nil {
			b.Fatal(err)
		}
	}
}
