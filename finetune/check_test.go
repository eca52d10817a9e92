package finetune

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"polarsbench/datasets/core"
	"polarsbench/harness/repo"
	"polarsbench/infer"
)

func TestCheckPrompt(t *testing.T) {
	task := core.Task{Question: "How many orders?", Tables: []core.TableRef{{Name: "nw_orders"}, {Name: "nw_customers"}}}
	want := "Write Python Polars code that assigns the answer DataFrame to `result`. Tables (polars DataFrames): nw_orders, nw_customers.\nQuestion: How many orders?"
	if got := CheckPrompt(task); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if _, err := os.Stat(repo.DevBench()); err != nil {
		t.Skip("no dev bench")
	}
	q, err := DefaultCheckQuestion()
	if err != nil || !strings.HasPrefix(q, "Write Python Polars code") || !strings.Contains(q, "\nQuestion: ") {
		t.Errorf("default check question %q, %v", q, err)
	}
}

// checkModel is a fake loaded model for GreedyCheck.
type checkModel struct {
	opts   infer.Options
	reqs   []infer.Request
	texts  []string
	closed bool
}

func (m *checkModel) Generate(ctx context.Context, r infer.Request) (infer.Result, error) {
	m.reqs = append(m.reqs, r)
	var res infer.Result
	for _, s := range m.texts {
		res.Candidates = append(res.Candidates, infer.Candidate{Text: s})
	}
	return res, nil
}
func (m *checkModel) Close() error { m.closed = true; return nil }

func TestGreedyCheck(t *testing.T) {
	m := &checkModel{texts: []string{"result = x"}}
	var loaded string
	check := GreedyCheck(func(path string, o infer.Options) (Model, error) { loaded, m.opts = path, o; return m, nil })
	got, err := check(context.Background(), "/out.gguf", "Question?")
	if err != nil || got != "result = x" || loaded != "/out.gguf" || !m.closed {
		t.Fatalf("got %q, %v; loaded %q, closed %v", got, err, loaded, m.closed)
	}
	if m.opts.Parallel != 1 || m.opts.ContextSize != 1024 {
		t.Errorf("load options %+v", m.opts)
	}
	r := m.reqs[0]
	if r.K != 1 || r.MaxTokens != 64 || len(r.Messages) != 1 || r.Messages[0].Role != "user" || r.Messages[0].Content != "Question?" {
		t.Errorf("request %+v", r)
	}

	empty := &checkModel{}
	if _, err := GreedyCheck(func(string, infer.Options) (Model, error) { return empty, nil })(context.Background(), "m", "q"); err == nil || !empty.closed {
		t.Errorf("no candidate: %v, closed %v", err, empty.closed)
	}
	boom := errors.New("cannot load")
	if _, err := GreedyCheck(func(string, infer.Options) (Model, error) { return nil, boom })(context.Background(), "m", "q"); !errors.Is(err, boom) {
		t.Errorf("load error: %v", err)
	}
}
