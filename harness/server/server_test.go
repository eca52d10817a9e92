package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"polarsbench/harness/answer"
	"polarsbench/harness/prompt"
	"polarsbench/harness/repo"
	"polarsbench/harness/schema"
	"polarsbench/harness/worker"
	"polarsbench/infer"
)

// scriptedEngine stands in for llama.cpp in these tests of the HTTP layer and
// pipeline around it: it answers every request with fixed candidate texts.
type scriptedEngine struct {
	texts []string
	err   error
	panic bool
}

func (e *scriptedEngine) Generate(ctx context.Context, r infer.Request) (infer.Result, error) {
	if e.panic {
		panic("engine exploded")
	}
	var res infer.Result
	for i := 0; i < r.K && i < len(e.texts); i++ {
		res.Candidates = append(res.Candidates, infer.Candidate{Text: e.texts[i], Tokens: 5, MeanLogprob: -float64(i), Finish: "stop"})
	}
	return res, e.err
}

func newTestServer(t *testing.T, eng answer.Generator) (*httptest.Server, string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(repo.DataDir(), "nw_orders.parquet")); err != nil {
		t.Skip("data/ not built: run make data")
	}
	pool, err := worker.NewPool(context.Background(), worker.Options{Python: repo.Python(), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	logPath := filepath.Join(t.TempDir(), "serve.jsonl")
	recs, err := OpenRecordLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recs.Close() })
	s := New(recs, nil)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)

	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET / before ready: %d, want 503", resp.StatusCode)
	}
	settings := answer.DefaultSettings()
	settings.K, settings.GreedyFirst = 3, "" // these tests vote over the K texts
	s.SetSolver(&answer.Solver{Engine: eng, Pool: pool, Schemas: schema.NewCache(), Bank: prompt.NewBank(nil), Settings: settings})
	return ts, logPath
}

func ordersBody(question string) string {
	b, _ := json.Marshal(map[string]any{
		"message": question,
		"tables":  map[string]any{"nw_orders": map[string]string{"file_name": filepath.Join(repo.DataDir(), "nw_orders.parquet"), "format": "parquet"}},
	})
	return string(b)
}

func post(t *testing.T, url, body string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Post(url+"/chat", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestChatVotesOverExecutedResults(t *testing.T) {
	majority := "result = nw_orders.group_by(\"customer_id\").agg(pl.len().alias(\"count\"))"
	ts, logPath := newTestServer(t, &scriptedEngine{texts: []string{
		"result = nw_orders.head(1)",
		majority,
		"result = nw_orders.group_by('customer_id').agg(pl.len().alias('count'))", // same result, other code
	}})
	resp, err := http.Get(ts.URL + "/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET / when ready: %v %v", err, resp)
	}
	status, out := post(t, ts.URL, ordersBody("Count orders per customer."))
	if status != 200 || out["response"] != majority {
		t.Fatalf("got %d %q, want 200 with the majority answer", status, out["response"])
	}
	recs := readLog(t, logPath)
	if len(recs) != 1 || len(recs[0].Votes) != 2 || recs[0].Votes[0].Count+recs[0].Votes[1].Count != 3 {
		t.Fatalf("log record votes: %+v", recs)
	}
}

func TestChatAlwaysAnswers(t *testing.T) {
	ts, logPath := newTestServer(t, &scriptedEngine{texts: []string{"result = nw_orders.select(\"no_such_column\")", "result = ("}})
	cases := map[string]string{
		"every candidate fails": ordersBody("Select a column that is not there."),
		"missing table file":    `{"message":"Count rows","tables":{"ghost":{"file_name":"/nonexistent/ghost.parquet","format":"parquet"}}}`,
		"no tables":             `{"message":"Count rows"}`,
		"unknown format":        `{"message":"Count rows","tables":{"t":{"file_name":"/tmp/t.xlsx","format":"xlsx"}}}`,
		"empty question":        ordersBody(""),
		"no message":            `{"tables":{}}`,
		"huge question":         ordersBody(strings.Repeat("count the orders please ", 50000)),
	}
	for name, body := range cases {
		status, out := post(t, ts.URL, body)
		if status != 200 || !strings.Contains(out["response"], "result") {
			t.Errorf("%s: %d %q, want 200 with code assigning result", name, status, out["response"])
		}
	}
	for name, body := range map[string]string{"not json": "{oops", "wrong type": `{"message": 3}`} {
		if status, _ := post(t, ts.URL, body); status != 400 {
			t.Errorf("%s: status %d, want 400", name, status)
		}
	}
	if got := len(readLog(t, logPath)); got != len(cases) {
		t.Errorf("log has %d records, want %d", got, len(cases))
	}
}

func TestChatEngineFailures(t *testing.T) {
	for name, eng := range map[string]*scriptedEngine{
		"engine error": {err: errors.New("context overflow")},
		"engine panic": {panic: true},
	} {
		ts, logPath := newTestServer(t, eng)
		status, out := post(t, ts.URL, ordersBody("Count orders."))
		if status != 200 || out["response"] != "result = nw_orders" {
			t.Errorf("%s: %d %q, want 200 with the placeholder", name, status, out["response"])
		}
		if recs := readLog(t, logPath); len(recs) != 1 || recs[0].Error == "" {
			t.Errorf("%s: the failure must be logged: %+v", name, recs)
		}
	}
}

func TestChatConcurrent(t *testing.T) {
	ts, logPath := newTestServer(t, &scriptedEngine{texts: []string{"result = nw_orders.head(2)", "result = nw_orders.head(2)"}})
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(ts.URL+"/chat", "application/json", bytes.NewBufferString(ordersBody("First two orders.")))
			if err != nil {
				errs <- err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- resp.Status
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if got := len(readLog(t, logPath)); got != 16 {
		t.Errorf("log has %d valid lines, want 16", got)
	}
}

func readLog(t *testing.T, path string) []answer.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []answer.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r answer.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("log line is not JSON: %v", err)
		}
		recs = append(recs, r)
	}
	return recs
}
