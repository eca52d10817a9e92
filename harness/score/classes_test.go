package score

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
	"polarsbench/harness/repo"
)

func intp(i int) *int { return &i }

// TestClassifyHandMade: one hand-made sample per class, judged fingerprints made up.
func TestClassifyHandMade(t *testing.T) {
	gold := judge.Fingerprint{Hash: "g", Rows: 3, Cols: 2, Columns: []string{"k", "total"}, Values: "V", ColumnValues: []string{"K", "T"}}
	fp := func(hash string, values string, cols []string, colValues ...string) judge.Verdict {
		return judge.Verdict{OK: true, Fingerprint: judge.Fingerprint{Hash: hash, Rows: 3, Cols: len(cols), Columns: cols, Values: values, ColumnValues: colValues}}
	}
	tables := []core.TableRef{{Name: "orders"}}
	base := Sample{GoldVerdict: judge.Verdict{OK: true, Fingerprint: gold}, Tables: tables, Answer: "result = x"}
	with := func(f func(*Sample)) Sample {
		s := base
		f(&s)
		return s
	}
	cases := []struct {
		name          string
		s             Sample
		class, detail string
	}{
		{"right", with(func(s *Sample) { s.Correct, s.Verdict = true, judge.Verdict{OK: true, Fingerprint: gold} }), ClassRight, ""},
		{"other name", with(func(s *Sample) { s.Verdict = fp("a", "V", []string{"k", "total_qty"}, "K", "T") }), ClassNames, "column names"},
		{"other order", with(func(s *Sample) { s.Verdict = fp("a", "V", []string{"total", "k"}, "T", "K") }), ClassNames, "column order"},
		{"extra column", with(func(s *Sample) { s.Verdict = fp("a", "W", []string{"k", "n", "total"}, "K", "N", "T") }), ClassColumns, "extra: n"},
		{"missing column", with(func(s *Sample) { s.Verdict = fp("a", "W", []string{"key"}, "K") }), ClassColumns, "missing: total"},
		{"wrong values", with(func(s *Sample) { s.Verdict = fp("a", "W", []string{"k", "total"}, "K", "X") }), ClassWrong, ""},
		{"extra column, wrong other", with(func(s *Sample) { s.Verdict = fp("a", "W", []string{"k", "n", "total"}, "K", "N", "X") }), ClassWrong, ""},
		{"more rows", with(func(s *Sample) {
			s.Verdict = fp("a", "W", []string{"k", "n", "total"}, "K", "N", "T")
			s.Verdict.Fingerprint.Rows = 4
		}), ClassWrong, ""},
		{"runtime", with(func(s *Sample) {
			s.Verdict = judge.Verdict{Error: "polars.exceptions.ColumnNotFoundError: unable to find column \"x\""}
		}), ClassError, "runtime"},
		{"lazy", with(func(s *Sample) {
			s.Verdict = judge.Verdict{Error: "TypeError: result must be a polars DataFrame, got LazyFrame"}
		}), ClassError, "lazyframe"},
		{"syntax", with(func(s *Sample) { s.Verdict = judge.Verdict{Error: "SyntaxError: invalid syntax"} }), ClassError, "syntax"},
		{"no result", with(func(s *Sample) { s.Verdict = judge.Verdict{Error: "NameError: name 'result' is not defined"} }), ClassError, "no_result"},
		{"timeout", with(func(s *Sample) { s.Verdict = judge.Verdict{Error: "timeout after 2m0s"} }), ClassError, "timeout"},
		{"http", with(func(s *Sample) { s.ErrorKind = "http: status 500" }), ClassError, "http"},
		{"gold failed", with(func(s *Sample) {
			s.GoldVerdict = judge.Verdict{Error: "boom"}
			s.Verdict = fp("a", "V", []string{"k"}, "K")
		}), ClassError, "gold"},
		{"placeholder, server says so", with(func(s *Sample) {
			s.Answer, s.Server = "result = orders", &ServerLine{Chosen: intp(-1)}
			s.Verdict = fp("a", "W", []string{"k", "n", "total"}, "K", "N", "T")
		}), ClassPlaceholder, ""},
		{"placeholder without a server log", with(func(s *Sample) { s.Answer, s.Verdict = "result = pl.DataFrame()", fp("e", "E", []string{}) }), ClassPlaceholder, ""},
		{"a chosen candidate is no placeholder", with(func(s *Sample) {
			s.Answer, s.Server = "result = orders", &ServerLine{Chosen: intp(0)}
			s.Verdict = fp("a", "W", []string{"k", "n", "total"}, "K", "N", "T")
		}), ClassColumns, "extra: n"},
		{"the sandbox's greedy answer is judged", with(func(s *Sample) {
			s.Answer, s.Server = `result = orders.select("k")`, &ServerLine{Chosen: intp(-1)}
			s.Verdict = judge.Verdict{Error: "MemoryError"}
		}), ClassError, "memory"},
		{"old record", with(func(s *Sample) { s.Verdict = fp("a", "", []string{"k"}) }), ClassUnknown, ""},
	}
	var samples []Sample
	for _, c := range cases {
		class, detail := Classify(c.s)
		if class != c.class || detail != c.detail {
			t.Errorf("%s: %q %q, want %q %q", c.name, class, detail, c.class, c.detail)
		}
		s := c.s
		s.Class, s.ClassDetail = class, detail
		samples = append(samples, s)
	}
	var res Results
	Summarize(&res, samples)
	want := map[string]int{ClassRight: 1, ClassNames: 2, ClassColumns: 3, ClassWrong: 3, ClassError: 8, ClassPlaceholder: 2, ClassUnknown: 1}
	for c, n := range want {
		if res.Classes[c] != n {
			t.Errorf("class %s: %d, want %d (%v)", c, res.Classes[c], n, res.Classes)
		}
	}
	if res.ErrorKinds["runtime"] != 1 || res.ErrorKinds["http"] != 1 || res.ErrorKinds["gold"] != 1 || len(res.ErrorKinds) != 8 {
		t.Errorf("error kinds %v", res.ErrorKinds)
	}
	if res.N != 1 || res.ValuesN != 3 || res.ValuesAccuracy != 3.0/float64(len(cases)) {
		t.Errorf("N %d, values N %d, values accuracy %v", res.N, res.ValuesN, res.ValuesAccuracy)
	}
	sum := Summary(res)
	for _, w := range []string{"values-only: 3 / 20", "classes: right 1, names 2, columns 3, wrong 3, error 8 (gold 1, http 1, lazyframe 1, memory 1, no_result 1, runtime 1, syntax 1, timeout 1), placeholder 2, unclassified 1"} {
		if !strings.Contains(sum, w) {
			t.Errorf("summary lacks %q:\n%s", w, sum)
		}
	}
	// A sample stored without a class (an older run) is classified when summarized.
	old := samples[1]
	old.Class, old.ClassDetail = "", ""
	Summarize(&res, []Sample{old})
	if res.Classes[ClassNames] != 1 || res.ValuesN != 1 || !ValuesRight(old) {
		t.Errorf("unstored class: %v values N %d", res.Classes, res.ValuesN)
	}
}

// TestRunClassifiesRealAnswers scores hand-made answers of every class through
// a stand-in server, judged for real as the runner judges them.
func TestRunClassifiesRealAnswers(t *testing.T) {
	if _, err := os.Stat(repo.Python()); err != nil {
		t.Skipf("no venv: %v", err)
	}
	dir := t.TempDir()
	bench := writeBench(t, dir) // skips without data/nw_products.parquet
	_ = bench
	gold := goldAvg // category_id, avg_price
	answers := []struct{ code, class, detail string }{
		{gold + `.sort("category_id", descending=True)`, ClassRight, ""},
		{strings.Replace(gold, `"avg_price"`, `"mean_price"`, 1), ClassNames, "column names"},
		{gold + `.select("avg_price", "category_id")`, ClassNames, "column order"},
		{strings.Replace(gold, `.alias("avg_price"))`, `.alias("avg"), pl.len().alias("n"))`, 1), ClassColumns, "extra: n"},
		{`result = nw_products.select("category_id").unique()`, ClassColumns, "missing: avg_price"},
		{strings.Replace(gold, "round(2)", "round(1)", 1), ClassWrong, ""},
		// Every column's values are right, with an extra column, but the rows do not pair up.
		{strings.Replace(gold, `.alias("avg_price"))`, `.alias("avg_price"), pl.len().alias("n"))`, 1) +
			`.sort("category_id").with_columns(pl.col("avg_price").reverse())`, ClassWrong, "the columns match one by one, but not row by row"},
		{strings.Replace(gold, "nw_products.group_by", "nw_products.lazy().group_by", 1), ClassError, "lazyframe"},
		{`result = nw_products.select("no_such_column")`, ClassError, "runtime"},
		{`result = nw_products.select(`, ClassError, "syntax"},
		{`x = 1`, ClassError, "no_result"},
		{`result = nw_products`, ClassPlaceholder, ""},
	}
	var tasks []core.Task
	byQuestion := map[string]string{}
	for i, a := range answers {
		q := "q" + string(rune('a'+i))
		byQuestion[q] = a.code
		tasks = append(tasks, core.Task{ID: "C" + string(rune('a'+i)), Question: q, GoldCode: gold, Category: "agg",
			Tables: []core.TableRef{{Name: "nw_products", Path: "data/nw_products.parquet", Format: "parquet"}}})
	}
	tasks = append(tasks, core.Task{ID: "Chttp", Question: "fail", GoldCode: gold, Category: "agg",
		Tables: []core.TableRef{{Name: "nw_products", Path: "data/nw_products.parquet", Format: "parquet"}}})
	benchFile := filepath.Join(dir, "classes.jsonl")
	if err := core.WriteTasks(benchFile, tasks); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.Write([]byte(`{"status":"ok"}`))
			return
		}
		var body struct {
			Message string `json:"message"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		if body.Message == "fail" {
			w.WriteHeader(500)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"response": byQuestion[body.Message]})
	}))
	defer ts.Close()
	py := repo.Python()
	run := filepath.Join(dir, "run")
	res, err := Run(context.Background(), Options{
		Config: Config{Bench: benchFile, Data: repo.DataDir(), Endpoint: ts.URL}, RunDir: run, ReadyTimeout: 5 * time.Second,
		Judge: FreshJudge(py, time.Minute), Contained: FreshContained(py, time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	samples, err := LoadSamples(run)
	if err != nil || len(samples) != len(tasks) {
		t.Fatalf("%d samples (%v)", len(samples), err)
	}
	for i, s := range samples {
		if s.ID == "Chttp" {
			if s.Class != ClassError || s.ClassDetail != "http" {
				t.Errorf("http: %q %q", s.Class, s.ClassDetail)
			}
			continue
		}
		a := answers[i]
		if s.Class != a.class || s.ClassDetail != a.detail {
			t.Errorf("%s %s: class %q %q, want %q %q (%s)", s.ID, a.code, s.Class, s.ClassDetail, a.class, a.detail, s.ErrorKind)
		}
		if s.GoldVerdict.Fingerprint.Values == "" || s.Verdict.OK && s.Verdict.Fingerprint.Values == "" {
			t.Errorf("%s: samples.jsonl lacks a values fingerprint: %+v %+v", s.ID, s.GoldVerdict, s.Verdict)
		}
	}
	if res.N != 1 || res.ValuesN != 3 || res.Classes[ClassColumns] != 2 || res.Classes[ClassWrong] != 2 ||
		res.Classes[ClassError] != 5 || res.Classes[ClassPlaceholder] != 1 || res.ErrorKinds["http"] != 1 {
		t.Errorf("results: N %d values N %d classes %v kinds %v", res.N, res.ValuesN, res.Classes, res.ErrorKinds)
	}
	back, err := LoadResults(run)
	if err != nil || back.ValuesN != 3 || back.Classes[ClassNames] != 2 {
		t.Errorf("results.json: %+v %v", back.Classes, err)
	}
}
