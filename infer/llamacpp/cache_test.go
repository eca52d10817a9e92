package llamacpp

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"polarsbench/infer"
)

// coldGreedy is the greedy answer of a fresh engine (no prefix cache).
func coldGreedy(t *testing.T, r infer.Request) infer.Candidate {
	t.Helper()
	e := loadTiny(t, infer.Options{ContextSize: 1024, Parallel: 1, CacheEntries: 1})
	defer e.Close()
	return gen(t, e, infer.Request{Messages: r.Messages, MaxTokens: r.MaxTokens, Stop: r.Stop}).Candidates[0]
}

func tablesHead(name string) string {
	var b strings.Builder
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&b, "%s_t%d: col_%s_%d Int64, name String\n", name, i, name, i)
	}
	return b.String()
}

func TestPrefixCacheEntriesEvict(t *testing.T) {
	e := loadTiny(t, infer.Options{CacheEntries: 2})
	hA, hB, hC := tablesHead("alpha"), tablesHead("beta"), tablesHead("gamma")
	sys, err := e.Tokenize("<|im_start|>system\nYou write Polars code.<|im_end|>\n<|im_start|>user\n")
	if err != nil {
		t.Fatal(err)
	}
	req := func(head, q string) infer.Request { return infer.Request{Messages: ask(head + q), MaxTokens: 12} }
	steps := []struct {
		r          infer.Request
		entries    int // entries in use when the request comes
		minCached  int
		maxCached  int
		copiedFrom bool
	}{
		{req(hA, "q1"), 0, 0, 0, false},
		{req(hB, "q1"), 1, len(sys), len(sys), true},           // new tables: a new entry, copied from A's head
		{req(hA, "q2"), 2, len(sys) + len(hA), 1 << 30, false}, // same tables: A's entry, in place
		{req(hC, "q1"), 2, len(sys), len(sys), false},          // new tables: evicts B (least recently used), which holds the head already
		{req(hB, "q2"), 2, len(sys), len(sys), false},          // B was evicted: only the head is cached
		{req(hB, "q2"), 2, 0, 1 << 30, false},                  // identical: all but the last token
		{infer.Request{Messages: ask(hB + "q2"), K: 3, Temperature: 0.9, Seed: 3, MaxTokens: 10}, 2, 1, 1 << 30, false},
	}
	for i, st := range steps {
		res := gen(t, e, st.r)
		tm := res.Timing
		if tm.CacheEntries != st.entries || tm.CachedTokens < st.minCached || tm.CachedTokens > st.maxCached || tm.CacheCopied != st.copiedFrom {
			t.Errorf("step %d: timing %+v, want %d entries, cached in [%d, %d], copied %v", i, tm, st.entries, st.minCached, st.maxCached, st.copiedFrom)
		}
		if i == 5 && tm.CachedTokens != tm.PromptTokens-1 {
			t.Errorf("step %d: identical prompt cached %d of %d", i, tm.CachedTokens, tm.PromptTokens)
		}
		if want := coldGreedy(t, st.r); !sameCandidate(res.Candidates[0], want) {
			t.Errorf("step %d: greedy with cache %+v, cold engine %+v", i, res.Candidates[0], want)
		}
	}
	used := 0
	for _, s := range e.slots {
		if s.used > 0 {
			used++
		}
		if len(s.toks) >= e.perSeq {
			t.Errorf("entry holds %d tokens, more than a sequence's %d cells", len(s.toks), e.perSeq)
		}
	}
	if used > 2 || len(e.slots) != 2 {
		t.Errorf("%d entries in use of %d, bound 2", used, len(e.slots))
	}
}

// A random mix of prompts over a few table heads, K=1 and K=3, cancellations
// included: the greedy answer must always be the cold engine's.
func TestPrefixCacheNeverWrongPrefix(t *testing.T) {
	e := loadTiny(t, infer.Options{CacheEntries: 3, ContextSize: 1024})
	heads := []string{tablesHead("a"), tablesHead("b"), tablesHead("c"), tablesHead("d"), tablesHead("a") + tablesHead("b")}
	rng := rand.New(rand.NewSource(5))
	want := map[string]infer.Candidate{}
	hits := 0
	for i := 0; i < 24; i++ {
		q := fmt.Sprintf("question %d", rng.Intn(4))
		r := infer.Request{Messages: ask(heads[rng.Intn(len(heads))] + q), MaxTokens: 8}
		if rng.Intn(3) == 0 {
			r.K, r.Temperature, r.Seed = 3, 0.8, uint32(i)
		}
		if rng.Intn(6) == 0 { // cancelled in the prefill: leaves a partly decoded entry
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			e.Generate(ctx, r)
		}
		res := gen(t, e, r)
		key := r.Messages[1].Content
		if _, ok := want[key]; !ok {
			want[key] = coldGreedy(t, r)
		}
		if !sameCandidate(res.Candidates[0], want[key]) {
			t.Fatalf("request %d (k=%d, cached %d of %d, copied %v): greedy %+v, cold engine %+v", i, r.K, res.Timing.CachedTokens, res.Timing.PromptTokens, res.Timing.CacheCopied, res.Candidates[0], want[key])
		}
		if res.Timing.CachedTokens > 100 {
			hits++
		}
	}
	if hits == 0 {
		t.Error("no request reused a table head")
	}
}

// When a candidate finishes below running ones, the highest moves into its
// sequence (compact): each candidate's text must stay what it is alone.
func TestCompactedCandidatesUnchanged(t *testing.T) {
	e := loadTiny(t, infer.Options{})
	r := infer.Request{Messages: ask("sum by group"), K: 4, Temperature: 1, Seed: 11, MaxTokens: 24, Stop: []string{"e", "t"}}
	var res infer.Result
	for ; r.Seed < 40; r.Seed++ {
		res = gen(t, e, r)
		c := res.Candidates
		// wanted: a lower candidate finishing before a higher one
		if c[1].Tokens < c[3].Tokens || c[2].Tokens < c[3].Tokens || c[1].Tokens < c[2].Tokens {
			break
		}
	}
	t.Logf("seed %d tokens %d %d %d %d", r.Seed, res.Candidates[0].Tokens, res.Candidates[1].Tokens, res.Candidates[2].Tokens, res.Candidates[3].Tokens)
	for i := 1; i < 4; i++ {
		// candidate i alone: candidate 1 of a K=2 request whose seed is one less
		one := gen(t, e, infer.Request{Messages: r.Messages, K: 2, Temperature: 1, Seed: r.Seed + uint32(i) - 1, MaxTokens: 24, Stop: r.Stop})
		if !sameCandidate(res.Candidates[i], one.Candidates[1]) {
			t.Errorf("candidate %d: in a batch of 4 %+v, of 2 %+v", i, res.Candidates[i], one.Candidates[1])
		}
	}
}

// Table sets alternate (A, B, A, B) after an unrelated prompt: each return
// must find its tables cached (the bench once saw B replace A in place).
func TestPrefixCacheAlternatingTables(t *testing.T) {
	e := loadTiny(t, infer.Options{CacheEntries: 4})
	hA, hB := tablesHead("alpha"), tablesHead("beta")
	sys, _ := e.Tokenize("<|im_start|>system\nYou write Polars code.<|im_end|>\n<|im_start|>user\n")
	gen(t, e, infer.Request{Messages: []infer.Message{{Role: "user", Content: "hi"}}, MaxTokens: 2})
	for i, st := range []struct {
		head, q string
		min     int
	}{{hA, "q1", 0}, {hB, "q1", 0}, {hA, "q2", len(sys) + len(hA)}, {hB, "q2", len(sys) + len(hB)}, {hA, "q3", len(sys) + len(hA)}} {
		r := infer.Request{Messages: ask(st.head + st.q), MaxTokens: 4}
		res := gen(t, e, r)
		if res.Timing.CachedTokens < st.min {
			t.Errorf("request %d: cached %d of %d, want at least %d (the head and its tables)", i, res.Timing.CachedTokens, res.Timing.PromptTokens, st.min)
		}
		if want := coldGreedy(t, r); !sameCandidate(res.Candidates[0], want) {
			t.Errorf("request %d: greedy %+v, cold %+v", i, res.Candidates[0], want)
		}
	}
}
