package llamacpp

import (
	"context"
	"strings"
	"testing"
)

// benchHead and benchPrefill stand for the harness's system prompt and
// prefill, which this package cannot import.
const benchHead, benchPrefill = "You write Polars.\n", "```python\n"

func TestBenchMedianRatioRate(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := append([]float64(nil), c.xs...)
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.xs, got, c.want)
		}
		for i := range in {
			if in[i] != c.xs[i] {
				t.Errorf("median reordered its input: %v, was %v", c.xs, in)
			}
		}
	}
	if got := Ratio(3, 2); got != 1.5 {
		t.Errorf("Ratio(3, 2) = %v", got)
	}
	if got := Ratio(3, 0); got != 0 {
		t.Errorf("Ratio(3, 0) = %v, want 0", got)
	}
	if got := rate(50, 500); got != 100 {
		t.Errorf("rate(50, 500) = %v, want 100 tok/s", got)
	}
	if got := rate(50, 0); got != 0 {
		t.Errorf("rate(50, 0) = %v, want 0", got)
	}
}

func TestBenchRequest(t *testing.T) {
	q := benchQuestions["tpch"][1]
	o := BenchOptions{System: benchHead, Prefill: benchPrefill}
	r := o.benchRequest(0, "tpch", q, 96)
	if r.MaxTokens != 96 || r.Prefill != benchPrefill || len(r.Stop) != 1 || r.Stop[0] != "```" {
		t.Errorf("request %+v: want 96 tokens, the given prefill, stop at the closing fence", r)
	}
	if len(r.Messages) != 2 || r.Messages[0].Role != "system" || r.Messages[0].Content != benchHead || r.Messages[1].Role != "user" {
		t.Fatalf("messages %+v: want the given system prompt, then the user's", r.Messages)
	}
	user := r.Messages[1].Content
	tables, examples, question := strings.Index(user, "tpch_lineitem (6000 rows)"), strings.Index(user, "Solved examples"), strings.Index(user, "Question: "+q)
	if !strings.HasPrefix(user, "Tables:\n") || tables < 0 || examples < tables || question < examples || !strings.HasSuffix(user, q) {
		t.Errorf("user message not tables, examples, question in the harness's order:\n%s", user)
	}
	// A variant leads the system prompt, so its head is never in the cache;
	// the rest of the prompt stays the same.
	v := o.benchRequest(101, "tpch", q, 96)
	if v.Messages[0].Content != "# run 101\n"+benchHead || v.Messages[1].Content != user {
		t.Errorf("variant 101: system %q", v.Messages[0].Content)
	}
	// Every table set the runs use has tables, examples and questions.
	for _, set := range []string{"nw", "tpch"} {
		if benchTables[set] == "" || benchExamples[set] == "" || len(benchQuestions[set]) < 2 {
			t.Errorf("table set %s incomplete", set)
		}
	}
}

func TestBenchOptionsCheck(t *testing.T) {
	ok := BenchOptions{MaxTokens: 96, CtxSize: 2048, Repeat: 3, Ks: []int{1, 4, 8}}
	if err := ok.Check(); err != nil {
		t.Errorf("%+v: %v", ok, err)
	}
	for _, bad := range []func(*BenchOptions){
		func(o *BenchOptions) { o.Threads = -1 },
		func(o *BenchOptions) { o.MaxTokens = 0 },
		func(o *BenchOptions) { o.CtxSize = 15 },
		func(o *BenchOptions) { o.Repeat = 0 },
		func(o *BenchOptions) { o.Ks = []int{1, 9} },
		func(o *BenchOptions) { o.Ks = []int{0} },
	} {
		o := ok
		o.Ks = append([]int(nil), ok.Ks...)
		bad(&o)
		if err := o.Check(); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	// Bench refuses before it loads anything.
	if _, err := Bench(context.Background(), BenchOptions{Model: "/nonexistent.gguf", Repeat: 0}); err == nil || !strings.Contains(err.Error(), "--repeat") {
		t.Errorf("Bench with bad options: %v", err)
	}
}
