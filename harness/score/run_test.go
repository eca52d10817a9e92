package score

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
	"polarsbench/harness/repo"
)

const goldAvg = `result = nw_products.group_by("category_id").agg(pl.col("unit_price").mean().round(2).alias("avg_price"))`

// answers maps each question to the code the stand-in server returns.
var answers = map[string]string{
	"right, other row order": goldAvg + `.sort("category_id", descending=True)`,
	"wrong column name":      strings.Replace(goldAvg, `"avg_price"`, `"mean_price"`, 1),
	"wrong rounding":         strings.Replace(goldAvg, "round(2)", "round(1)", 1),
	"lazy frame":             strings.Replace(goldAvg, "nw_products.group_by", "nw_products.lazy().group_by", 1),
	"extra column":           strings.Replace(goldAvg, `.alias("avg_price"))`, `.alias("avg_price"), pl.len().alias("n"))`, 1),
	"missing column":         `result = nw_products.select("no_such_column")`,
}

var wantKind = map[string]string{
	"right, other row order": "correct",
	"wrong column name":      "mismatch",
	"wrong rounding":         "mismatch",
	"lazy frame":             "runtime",
	"extra column":           "mismatch",
	"missing column":         "runtime",
}

// writeBench writes one task per answer over the real nw_products table.
func writeBench(t *testing.T, dir string) string {
	t.Helper()
	data := repo.DataDir()
	if _, err := os.Stat(filepath.Join(data, "nw_products.parquet")); err != nil {
		t.Skip("data/nw_products.parquet not built")
	}
	var tasks []core.Task
	i := 0
	for _, q := range []string{"right, other row order", "wrong column name", "wrong rounding", "lazy frame", "extra column", "missing column"} {
		i++
		tasks = append(tasks, core.Task{
			ID: "T" + string(rune('0'+i)), Question: q, GoldCode: goldAvg, Category: "agg",
			Tables: []core.TableRef{{Name: "nw_products", Path: "data/nw_products.parquet", Format: "parquet"}},
		})
	}
	p := filepath.Join(dir, "bench.jsonl")
	if err := core.WriteTasks(p, tasks); err != nil {
		t.Fatal(err)
	}
	return p
}

// standIn is the httptest server of these tests: it checks the runner's body
// shape and answers from a map, logging the questions it was asked.
type standIn struct {
	t     *testing.T
	mu    sync.Mutex
	asked []string
	fail  map[string]int // question -> status to answer instead
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		w.Write([]byte(`{"status":"ok"}`))
		return
	}
	var body struct {
		Message string `json:"message"`
		Tables  map[string]struct {
			FileName string `json:"file_name"`
			Format   string `json:"format"`
		} `json:"tables"`
	}
	if r.Method != http.MethodPost || r.URL.Path != "/chat" || json.NewDecoder(r.Body).Decode(&body) != nil {
		s.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(400)
		return
	}
	tb, ok := body.Tables["nw_products"]
	if !ok || !filepath.IsAbs(tb.FileName) || tb.Format != "parquet" || len(body.Tables) != 1 {
		s.t.Errorf("tables not sent as the runner sends them: %+v", body.Tables)
	}
	s.mu.Lock()
	s.asked = append(s.asked, body.Message)
	s.mu.Unlock()
	if code := s.fail[body.Message]; code != 0 {
		w.WriteHeader(code)
		w.Write([]byte("boom"))
		return
	}
	w.Header().Set("X-Request-Id", "req-"+body.Message)
	json.NewEncoder(w).Encode(map[string]string{"response": answers[body.Message]})
}

func TestRunJudgesRealAnswers(t *testing.T) {
	dir := t.TempDir()
	bench := writeBench(t, dir)
	srv := &standIn{t: t, fail: map[string]int{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	run := filepath.Join(dir, "run")
	var progress strings.Builder
	res, err := Run(context.Background(), Options{
		Config:       Config{Bench: bench, Data: repo.DataDir(), Endpoint: ts.URL, GPUVRAMMB: 1500, GPUSecondsPerQuestion: 0.3},
		RunDir:       run,
		ReadyTimeout: 5 * time.Second,
		Judge:        FreshJudge(repo.Python(), time.Minute),
		Progress:     &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	samples, err := LoadSamples(run)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != len(answers) {
		t.Fatalf("%d samples, want %d", len(samples), len(answers))
	}
	for _, s := range samples {
		if got := s.Kind(); got != wantKind[s.Question] {
			t.Errorf("%q: kind %q (%s), want %q", s.Question, got, s.ErrorKind, wantKind[s.Question])
		}
		if s.RequestID != "req-"+s.Question || s.Seconds <= 0 || !s.GoldVerdict.OK {
			t.Errorf("%q: request id %q, seconds %v, gold %+v", s.Question, s.RequestID, s.Seconds, s.GoldVerdict)
		}
	}
	if res.N != 1 || res.Questions != 6 || res.Counts["mismatch"] != 3 || res.Counts["runtime"] != 2 {
		t.Errorf("results N=%d questions=%d counts=%v", res.N, res.Questions, res.Counts)
	}
	if want := Final(1, res.SumT, res.AvgVRAMMB, res.AvgRAMMB); res.Score != want || res.Score <= 0 {
		t.Errorf("score %v, want %v", res.Score, want)
	}
	fails, _ := os.ReadFile(filepath.Join(run, FailuresFile))
	if n := strings.Count(string(fails), "\n"); n != 5 {
		t.Errorf("failures.jsonl has %d lines, want 5", n)
	}
	if !strings.Contains(string(fails), `"gold":`) {
		t.Errorf("failures lack the gold code")
	}
	if n := strings.Count(progress.String(), "\n"); n != 6 {
		t.Errorf("non-terminal progress printed %d lines, want one per question:\n%s", n, progress.String())
	}
	back, err := LoadResults(run)
	if err != nil || back.N != 1 || back.Interrupted {
		t.Errorf("results.json read back N=%d interrupted=%v err=%v", back.N, back.Interrupted, err)
	}
}

func TestHTTPFailureIsRecordedAndNoted(t *testing.T) {
	dir := t.TempDir()
	bench := writeBench(t, dir)
	srv := &standIn{t: t, fail: map[string]int{"wrong rounding": 500}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	judged := 0
	res, err := Run(context.Background(), Options{
		Config: Config{Bench: bench, Data: repo.DataDir(), Endpoint: ts.URL, IDs: []string{"T3"}},
		RunDir: filepath.Join(dir, "run"), ReadyTimeout: 5 * time.Second,
		Judge: func(ctx context.Context, tables []core.TableRef, code string) (judge.Verdict, error) {
			judged++
			return judge.Verdict{OK: true, Fingerprint: judge.Fingerprint{Hash: "h", Rows: 1, Cols: 1, Columns: []string{"a"}}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Questions != 1 || res.Counts["http"] != 1 || res.N != 0 {
		t.Errorf("questions %d counts %v", res.Questions, res.Counts)
	}
	if judged != 1 { // only the gold: there is no answer to judge
		t.Errorf("judged %d codes, want 1", judged)
	}
	if !strings.Contains(strings.Join(res.Notes, "|"), "runner would abort") {
		t.Errorf("notes lack the abort warning: %v", res.Notes)
	}
}

func TestResumeSchedulesOnlyTheRest(t *testing.T) {
	dir := t.TempDir()
	bench := writeBench(t, dir)
	run := filepath.Join(dir, "run")
	fakeJudge := func(ctx context.Context, tables []core.TableRef, code string) (judge.Verdict, error) {
		return judge.Verdict{OK: true, Fingerprint: judge.Fingerprint{Hash: code, Rows: 1, Cols: 1, Columns: []string{"a"}}}, nil
	}
	// A first run killed after two questions: two whole lines, then a torn third.
	srv := &standIn{t: t, fail: map[string]int{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cfg := Config{Bench: bench, Data: repo.DataDir(), Endpoint: ts.URL, Limit: 5}
	if _, err := Run(context.Background(), Options{Config: Config{Bench: bench, Data: repo.DataDir(), Endpoint: ts.URL, Limit: 2},
		RunDir: run, ReadyTimeout: 5 * time.Second, Judge: fakeJudge}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(filepath.Join(run, SamplesFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":"T3","question":"wrong rou`)
	f.Close()
	res0, _ := LoadResults(run)
	res0.Config = cfg
	if err := WriteResults(run, res0); err != nil {
		t.Fatal(err)
	}

	srv.asked = nil
	var prog strings.Builder
	res, err := Run(context.Background(), Options{Config: cfg, RunDir: run, Resume: true, ReadyTimeout: 5 * time.Second, Judge: fakeJudge, Progress: &prog})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(prog.String(), "[3/5]") || !strings.Contains(prog.String(), "[5/5]") {
		t.Errorf("resumed progress counts wrong:\n%s", prog.String())
	}
	want := []string{"wrong rounding", "lazy frame", "extra column"}
	if strings.Join(srv.asked, "|") != strings.Join(want, "|") {
		t.Errorf("resume asked %q, want %q", srv.asked, want)
	}
	samples, err := LoadSamples(run)
	if err != nil || len(samples) != 5 {
		t.Fatalf("%d samples after resume (err %v), want 5", len(samples), err)
	}
	if res.Questions != 5 || res.Planned != 5 || res.Interrupted || res.ID != res0.ID {
		t.Errorf("resumed results: questions %d planned %d interrupted %v id %q (was %q)", res.Questions, res.Planned, res.Interrupted, res.ID, res0.ID)
	}
}

func TestInterruptKeepsScoredQuestions(t *testing.T) {
	dir := t.TempDir()
	bench := writeBench(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			return
		}
		n++
		if n == 3 {
			cancel() // Ctrl-C while the third question is in flight
			time.Sleep(100 * time.Millisecond)
		}
		json.NewEncoder(w).Encode(map[string]string{"response": "result = 1"})
	}))
	defer ts.Close()
	run := filepath.Join(dir, "run")
	res, err := Run(ctx, Options{Config: Config{Bench: bench, Data: repo.DataDir(), Endpoint: ts.URL}, RunDir: run, ReadyTimeout: 5 * time.Second,
		Judge: func(ctx context.Context, tables []core.TableRef, code string) (judge.Verdict, error) {
			return judge.Verdict{Error: "x"}, nil
		}})
	if err == nil || !res.Interrupted || res.Questions != 2 {
		t.Errorf("err %v interrupted %v questions %d, want an error, interrupted, 2", err, res.Interrupted, res.Questions)
	}
	if back, _ := LoadResults(run); back.Questions != 2 || !back.Interrupted {
		t.Errorf("results.json: questions %d interrupted %v", back.Questions, back.Interrupted)
	}
}

func TestWaitReadyTimesOutClearly(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer ts.Close()
	err := NewClient(ts.URL).WaitReady(context.Background(), 600*time.Millisecond, nil)
	if err == nil || !strings.Contains(err.Error(), "not ready after") || !strings.Contains(err.Error(), "503") {
		t.Errorf("err = %v", err)
	}
}

func TestServerExitingEarlyIsReported(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.gguf")
	os.WriteFile(model, []byte("x"), 0o644)
	script := filepath.Join(dir, "fake-harness")
	os.WriteFile(script, []byte("#!/bin/sh\necho 'cannot load model' >&2\nexit 3\n"), 0o755)
	srv, err := StartServer(ServerSpec{Exe: script, Model: model, Output: filepath.Join(dir, "out")})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(time.Second)
	err = NewClient("http://"+srv.Addr).WaitReady(context.Background(), 30*time.Second, srv.Alive)
	if err == nil || !strings.Contains(err.Error(), "exited early") || !strings.Contains(err.Error(), "cannot load model") {
		t.Errorf("err = %v", err)
	}
	srv.Stop(time.Second) // twice is safe
}

func TestSelectRejectsUnknownID(t *testing.T) {
	dir := t.TempDir()
	bench := writeBench(t, dir)
	if _, err := Select(Config{Bench: bench, IDs: []string{"T1", "NOPE"}}); err == nil || !strings.Contains(err.Error(), "NOPE") {
		t.Errorf("err = %v", err)
	}
	ts, err := Select(Config{Bench: bench, IDs: []string{"T4", "T2"}, Limit: 1})
	if err != nil || len(ts) != 1 || ts[0].ID != "T2" {
		t.Errorf("select = %v, %v", ts, err)
	}
}

func TestServerLogReaderMergesByRequestID(t *testing.T) {
	p := filepath.Join(t.TempDir(), "server.jsonl")
	os.WriteFile(p, []byte(`{"request_id":"a","prompt_hash":"h1","timings_ms":{"decode":12.5},"candidates":[{"code":"x"}],"chosen":0}`+"\n"+`{"request_id":"b","prompt_ha`), 0o644)
	// A resumed run first reads what an earlier session logged (the panic fixed here).
	skip := &ServerLogReader{Path: p}
	skip.readNew()
	if got := skip.Find("a", 0); got == nil {
		t.Fatalf("line a lost after skipping")
	}
	l := &ServerLogReader{Path: p}
	got := l.Find("a", 0)
	if got == nil || got.PromptHash != "h1" || got.TimingsMS["decode"] != 12.5 || got.Chosen == nil || !strings.Contains(string(got.Candidates), `"x"`) {
		t.Fatalf("line a = %+v", got)
	}
	// b is half written; the server finishes the line while Find waits.
	go func() {
		time.Sleep(150 * time.Millisecond)
		f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString(`sh":"h2"}` + "\n")
		f.Close()
	}()
	if got := l.Find("b", 3*time.Second); got == nil || got.PromptHash != "h2" {
		t.Errorf("line b = %+v", got)
	}
	if got := l.Find("missing", 100*time.Millisecond); got != nil {
		t.Errorf("missing id found: %+v", got)
	}
}
