package llamacpp

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"polarsbench/infer"
	"polarsbench/infer/ggufwrite"
)

func loadTiny(t *testing.T, o infer.Options) *Engine {
	t.Helper()
	if o.Threads == 0 {
		o.Threads = 2
	}
	if o.ContextSize == 0 {
		o.ContextSize = 512
	}
	if o.Parallel == 0 {
		o.Parallel = 4
	}
	e, err := Load(tinyModel(t), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func ask(q string) []infer.Message {
	return []infer.Message{{Role: "system", Content: "You write Polars code."}, {Role: "user", Content: q}}
}

func gen(t *testing.T, e *Engine, r infer.Request) infer.Result {
	t.Helper()
	res, err := e.Generate(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Candidates) != max(r.K, 1) {
		t.Fatalf("got %d candidates, want %d", len(res.Candidates), max(r.K, 1))
	}
	return res
}

func TestGreedyDeterministic(t *testing.T) {
	e := loadTiny(t, infer.Options{})
	r := infer.Request{Messages: ask("count rows"), MaxTokens: 24}
	a := gen(t, e, r)
	gen(t, e, infer.Request{Messages: ask("something else entirely"), MaxTokens: 8})
	b := gen(t, e, r)
	if !sameCandidate(a.Candidates[0], b.Candidates[0]) {
		t.Errorf("greedy differs:\n%+v\n%+v", a.Candidates[0], b.Candidates[0])
	}
	c := a.Candidates[0]
	if tm := a.Timing; tm.PrefillMs <= 0 || tm.DecodeMs <= 0 || tm.TokensGenerated != c.Tokens || tm.PromptTokens == 0 {
		t.Errorf("timing %+v for candidate %+v", tm, c)
	}
	if c.Tokens == 0 || c.MeanLogprob >= 0 || math.IsNaN(c.MeanLogprob) {
		t.Errorf("candidate %+v: want tokens > 0 and a negative mean log-prob", c)
	}
	if c.Finish == "length" && c.Tokens != 24 {
		t.Errorf("finish length after %d tokens, max 24", c.Tokens)
	}
	// A fresh engine (no prefix cache) gives the same greedy text.
	f := gen(t, loadTiny(t, infer.Options{}), r)
	if f.Candidates[0].Text != c.Text {
		t.Errorf("fresh engine greedy %q, cached engine %q", f.Candidates[0].Text, c.Text)
	}
}

func TestSamplesDistinctAndSeeded(t *testing.T) {
	e := loadTiny(t, infer.Options{})
	r := infer.Request{Messages: ask("mean price"), K: 4, Temperature: 1.0, Seed: 7, MaxTokens: 16}
	a := gen(t, e, r)
	texts := map[string]bool{}
	for _, c := range a.Candidates {
		texts[c.Text] = true
	}
	if len(texts) < 3 {
		t.Errorf("want at least 3 distinct candidates of 4 at temperature 1, got %d: %+v", len(texts), a.Candidates)
	}
	greedy := gen(t, e, infer.Request{Messages: r.Messages, MaxTokens: 16})
	if !sameCandidate(a.Candidates[0], greedy.Candidates[0]) {
		t.Errorf("candidate 0 is not greedy: %+v vs %+v", a.Candidates[0], greedy.Candidates[0])
	}
	b := gen(t, e, r)
	for i := range a.Candidates {
		if !sameCandidate(a.Candidates[i], b.Candidates[i]) {
			t.Errorf("same seed, candidate %d differs: %q vs %q", i, a.Candidates[i].Text, b.Candidates[i].Text)
		}
	}
	r.Seed = 8
	c := gen(t, e, r)
	if c.Candidates[1].Text == a.Candidates[1].Text && c.Candidates[2].Text == a.Candidates[2].Text {
		t.Error("another seed gave the same samples")
	}
	// Candidate i uses Seed+i: seed 8's candidate 1 is seed 7's candidate 2.
	if c.Candidates[1].Text != a.Candidates[2].Text {
		t.Errorf("seed 8 candidate 1 %q != seed 7 candidate 2 %q", c.Candidates[1].Text, a.Candidates[2].Text)
	}
	// First numbers the candidates: a request from candidate 1 on has no
	// greedy one, and its candidates are the ones a request from 0 gives.
	r.Seed, r.First = 7, 1
	d := gen(t, e, r)
	for i := range 3 {
		if !sameCandidate(d.Candidates[i], a.Candidates[i+1]) {
			t.Errorf("first 1: candidate %d %q, want candidate %d of first 0 %q", i, d.Candidates[i].Text, i+1, a.Candidates[i+1].Text)
		}
	}
	r.First = -1
	if _, err := e.Generate(context.Background(), r); err == nil {
		t.Error("negative first candidate accepted")
	}
}

func TestPrefixCache(t *testing.T) {
	e := loadTiny(t, infer.Options{})
	head := strings.Repeat("Rules: return a DataFrame named result. ", 4)
	a := gen(t, e, infer.Request{Messages: ask(head + "first"), MaxTokens: 4})
	if a.Timing.CachedTokens != 0 || a.Timing.PromptTokens == 0 {
		t.Errorf("first call timing %+v", a.Timing)
	}
	b := gen(t, e, infer.Request{Messages: ask(head + "second"), MaxTokens: 4})
	if b.Timing.CachedTokens < len(head) || b.Timing.CachedTokens >= b.Timing.PromptTokens {
		t.Errorf("second call cached %d of %d tokens, want at least the %d-byte head", b.Timing.CachedTokens, b.Timing.PromptTokens, len(head))
	}
	same := gen(t, e, infer.Request{Messages: ask(head + "second"), MaxTokens: 4})
	if same.Timing.CachedTokens != same.Timing.PromptTokens-1 || !sameCandidate(same.Candidates[0], b.Candidates[0]) {
		t.Errorf("identical prompt: cached %d of %d; %+v vs %+v", same.Timing.CachedTokens, same.Timing.PromptTokens, same.Candidates[0], b.Candidates[0])
	}
}

func TestStopStringsAndPrefill(t *testing.T) {
	e := loadTiny(t, infer.Options{})
	r := infer.Request{Messages: ask("filter"), MaxTokens: 40}
	full := gen(t, e, r).Candidates[0].Text
	if len(full) < 12 {
		t.Skipf("greedy text too short to cut: %q", full)
	}
	stop := full[6:9]
	r.Stop = []string{"never-appears", stop}
	got := gen(t, e, r).Candidates[0]
	want := full[:strings.Index(full, stop)]
	if got.Text != want || got.Finish != "stop" {
		t.Errorf("with stop %q: got %q (%s), want %q", stop, got.Text, got.Finish, want)
	}
	// The prefill is part of the prompt, not of the text. The tiny vocabulary is
	// bytes, so prefilling the first 4 bytes of the greedy text makes greedy
	// continue with exactly the rest of it.
	p := infer.Request{Messages: ask("filter"), MaxTokens: 40, Prefill: full[:4]}
	pr := gen(t, e, p).Candidates[0]
	if n := min(len(pr.Text), len(full)-4); pr.Text[:n] != full[4:4+n] || n < 8 {
		t.Errorf("after prefill %q: got %q, want a continuation of %q", full[:4], pr.Text, full[4:])
	}
	if prompt, _ := e.Prompt(p); !strings.HasSuffix(prompt, "<|im_start|>assistant\n"+full[:4]) {
		t.Errorf("prompt does not end with the prefill: %q", prompt)
	}
}

// stepCtx reports cancellation after Err has been asked n times.
type stepCtx struct {
	context.Context
	left atomic.Int32
}

func (c *stepCtx) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestCancelThenReuse(t *testing.T) {
	e := loadTiny(t, infer.Options{})
	r := infer.Request{Messages: ask("group by"), K: 3, Temperature: 0.8, MaxTokens: 64}
	ctx := &stepCtx{Context: context.Background()}
	ctx.left.Store(4) // one prefill chunk, then three decode steps
	res, err := e.Generate(ctx, r)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	cancelled := 0
	for _, c := range res.Candidates {
		if c.Finish == "cancelled" {
			cancelled++
			if c.Tokens != 4 {
				t.Errorf("cancelled candidate has %d tokens, want 4 (stop within one step)", c.Tokens)
			}
		}
	}
	if cancelled == 0 {
		t.Errorf("no candidate cancelled: %+v", res.Candidates)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Generate(done, r); !errors.Is(err, context.Canceled) {
		t.Errorf("pre-cancelled context: err = %v", err)
	}
	a := gen(t, e, r)
	b := gen(t, loadTiny(t, infer.Options{}), r)
	for i := range a.Candidates {
		if a.Candidates[i].Text != b.Candidates[i].Text {
			t.Errorf("after cancel, candidate %d %q differs from a fresh engine's %q", i, a.Candidates[i].Text, b.Candidates[i].Text)
		}
	}
}

func TestRequestErrors(t *testing.T) {
	e := loadTiny(t, infer.Options{ContextSize: 64, Parallel: 2})
	bad := map[string]infer.Request{
		"k above parallel": {Messages: ask("x"), K: 3},
		"negative temp":    {Messages: ask("x"), Temperature: -1},
		"top_p above 1":    {Messages: ask("x"), TopP: 2},
		"no messages":      {},
		"bad role":         {Messages: []infer.Message{{Role: "robot", Content: "x"}}},
		"empty stop":       {Messages: ask("x"), Stop: []string{""}},
		"prompt too long":  {Messages: ask(strings.Repeat("long ", 100))},
	}
	for name, r := range bad {
		if _, err := e.Generate(context.Background(), r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	res := gen(t, e, infer.Request{Messages: []infer.Message{{Role: "user", Content: "x"}}, MaxTokens: 1000})
	if c := res.Candidates[0]; c.Finish != "eog" && c.Finish != "length" {
		t.Errorf("long generation in a small context: %+v", c)
	}
	if _, err := Load(tinyModel(t), infer.Options{KVCacheType: "q2"}); err == nil {
		t.Error("unknown KV cache type accepted")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := e.Generate(context.Background(), infer.Request{Messages: ask("x")}); err == nil {
		t.Error("Generate after Close succeeded")
	}
}

func TestSmolLM(t *testing.T) {
	e, err := Load(smolModel(t), infer.Options{Threads: 2, ContextSize: 512, Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Info().Template != "smollm" {
		t.Errorf("template %q", e.Info().Template)
	}
	r := infer.Request{Messages: []infer.Message{{Role: "user", Content: "What is the capital of France? Answer in one word."}}, K: 2, Temperature: 0.7, Seed: 1, MaxTokens: 12}
	a := gen(t, e, r)
	b := gen(t, e, r)
	if !strings.Contains(a.Candidates[0].Text, "Paris") {
		t.Errorf("greedy answer %q does not name Paris", a.Candidates[0].Text)
	}
	for i := range a.Candidates {
		if !sameCandidate(a.Candidates[i], b.Candidates[i]) {
			t.Errorf("candidate %d not reproducible: %+v vs %+v", i, a.Candidates[i], b.Candidates[i])
		}
	}
	if b.Timing.CachedTokens != b.Timing.PromptTokens-1 {
		t.Errorf("repeat prompt cached %d of %d", b.Timing.CachedTokens, b.Timing.PromptTokens)
	}
}

func TestConcurrentCallers(t *testing.T) {
	e := loadTiny(t, infer.Options{Threads: 1})
	r := infer.Request{Messages: ask("join tables"), MaxTokens: 12}
	want := gen(t, e, r).Candidates[0].Text
	errs := make(chan error, 3)
	texts := make(chan string, 3)
	for i := 0; i < 3; i++ {
		go func() {
			res, err := e.Generate(context.Background(), r)
			errs <- err
			if err == nil {
				texts <- res.Candidates[0].Text
			}
		}()
	}
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		if got := <-texts; got != want {
			t.Errorf("concurrent greedy %q, want %q", got, want)
		}
	}
}

func TestQuantizedKVCache(t *testing.T) {
	// The default tiny model has 16-wide heads: a quantised cache would abort ggml.
	if e, err := Load(tinyModel(t), infer.Options{Threads: 1, ContextSize: 256, Parallel: 1, KVCacheType: "q8_0", FlashAttention: true}); err == nil {
		e.Close()
		t.Fatal("q8_0 cache with 16-wide heads accepted")
	}
	wide := ggufwrite.DefaultTiny
	wide.Heads, wide.KVHeads = 2, 1
	p := filepath.Join(t.TempDir(), "wide.gguf")
	if err := ggufwrite.WriteTiny(p, wide); err != nil {
		t.Fatal(err)
	}
	for _, o := range []infer.Options{
		{KVCacheType: "q8_0", FlashAttention: true},
		{KVCacheType: "q4_0", FlashAttention: true},
		{KVCacheType: "q8_0"}, // llama.cpp may refuse a quantised V cache without flash attention: error or work, never abort
	} {
		o.Threads, o.ContextSize, o.Parallel = 1, 256, 2
		e, err := Load(p, o)
		if err != nil {
			if o.FlashAttention {
				t.Errorf("%+v: %v", o, err)
			}
			continue
		}
		if _, err := e.Generate(context.Background(), infer.Request{Messages: ask("x"), K: 2, Temperature: 0.5, MaxTokens: 4}); err != nil {
			t.Errorf("%+v: %v", o, err)
		}
		e.Close()
	}
}

func TestPlainRun(t *testing.T) {
	e := loadTiny(t, infer.Options{})
	r := infer.Request{Messages: ask("count rows"), MaxTokens: 8}
	for _, k := range []int{1, 3} {
		p, err := e.PlainRun(context.Background(), r, k)
		if err != nil {
			t.Fatal(err)
		}
		if p.DecodeTokens != 8*k || p.PromptTokens == 0 || p.PromptTokS() <= 0 || p.DecodeTokS() <= 0 {
			t.Errorf("k=%d: %+v", k, p)
		}
	}
	// The plain run uses its own context: the engine's greedy output is unchanged.
	a := gen(t, e, r)
	b := gen(t, loadTiny(t, infer.Options{}), r)
	if a.Candidates[0].Text != b.Candidates[0].Text {
		t.Errorf("after plain runs %q, fresh engine %q", a.Candidates[0].Text, b.Candidates[0].Text)
	}
}

// holdCtx blocks in its first Err call (the engine asks at each prefill chunk)
// until released: the request holds the engine meanwhile.
type holdCtx struct {
	context.Context
	once    sync.Once
	holding chan struct{}
	release chan struct{}
}

func (c *holdCtx) Err() error {
	c.once.Do(func() {
		close(c.holding)
		<-c.release
	})
	return nil
}

func TestQueuedRequestGivesUpAtDeadline(t *testing.T) {
	e := loadTiny(t, infer.Options{})
	hold := &holdCtx{Context: context.Background(), holding: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := e.Generate(hold, infer.Request{Messages: ask("first"), MaxTokens: 4})
		done <- err
	}()
	<-hold.holding
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := e.Generate(ctx, infer.Request{Messages: ask("queued"), MaxTokens: 4})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 5*time.Second {
		t.Errorf("queued request: err %v after %v, want the deadline's error at once", err, time.Since(t0))
	}
	if _, err := e.PlainRun(ctx, infer.Request{Messages: ask("queued"), MaxTokens: 4}, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("queued plain run: err %v", err)
	}
	close(hold.release)
	if err := <-done; err != nil {
		t.Fatalf("the holding request: %v", err)
	}
	// The engine is free again.
	gen(t, e, infer.Request{Messages: ask("after"), MaxTokens: 4})
}

// sameAsAlone checks that every candidate of r (K > 1: candidates share a
// stream until they draw different tokens) is the one a request for that
// candidate alone gives (K=1, First=i: its own stream from the start), and
// returns the request's result.
func sameAsAlone(t *testing.T, e *Engine, r infer.Request) infer.Result {
	t.Helper()
	all := gen(t, e, r)
	for i := range all.Candidates {
		one := r
		one.K, one.First = 1, r.First+i
		alone := gen(t, e, one)
		if !sameCandidate(all.Candidates[i], alone.Candidates[0]) {
			t.Errorf("temperature %v seed %d, candidate %d:\namong %d %+v\nalone    %+v", r.Temperature, r.Seed, i, r.K, all.Candidates[i], alone.Candidates[0])
		}
	}
	return all
}

// Candidates that draw the same tokens share one stream and fork when they
// differ: no candidate may change, and the forward passes saved must show.
// SmolLM2 with flash attention computes the same logits whatever the batch
// shape (see TestDraftSameOutputSmolLM), so the comparison is exact.
func TestSharedStreamsSameCandidates(t *testing.T) {
	e, err := Load(smolModel(t), infer.Options{Threads: 2, ContextSize: 1024, Parallel: 4, FlashAttention: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	forked := false
	for _, temp := range []float32{0.3, 1.0} {
		r := codeRequest(4)
		r.Temperature = temp
		res := sameAsAlone(t, e, r)
		texts := map[string]bool{}
		for _, c := range res.Candidates {
			texts[c.Text] = true
		}
		forked = forked || len(texts) > 1
		tm := res.Timing
		t.Logf("temperature %v: %d distinct of 4, %d tokens, %d drawn from shared passes, %d stream steps", temp, len(texts), tm.TokensGenerated, tm.SharedTokens, tm.Steps)
		if tm.SharedTokens == 0 || tm.Steps+tm.SharedTokens != tm.TokensGenerated-1 {
			t.Errorf("temperature %v: timing %+v: want shared draws, and each drawn token either a stream's own or shared", temp, tm)
		}
	}
	if !forked {
		t.Error("no request had candidates that differ: the fork path was not exercised")
	}
}

func TestSharedStreamsTiny(t *testing.T) {
	e := loadTiny(t, infer.Options{})
	r := infer.Request{Messages: ask("sum by group"), K: 4, Temperature: 1, Seed: 11, MaxTokens: 24, Stop: []string{"e", "t"}}
	sameAsAlone(t, e, r)
	r.K, r.First, r.Temperature = 3, 1, 0.8 // sampled only, as after a failed greedy candidate
	sameAsAlone(t, e, r)
}
