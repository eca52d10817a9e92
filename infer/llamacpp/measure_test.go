package llamacpp

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"polarsbench/harness/repo"
	"polarsbench/infer"
)

// TestMeasureKVCosts prints what the engine's design pays for (set
// INFER_MEASURE=1; Qwen): a full-sequence KV copy, and a batch whose sequences
// are not consecutive (llama.cpp splits it into one pass per run of ids).
func TestMeasureKVCosts(t *testing.T) {
	if os.Getenv("INFER_MEASURE") == "" {
		t.Skip("set INFER_MEASURE=1")
	}
	p := repo.Model(repo.DefaultModelFile)
	if _, err := os.Stat(p); err != nil {
		t.Skip("no Qwen")
	}
	e, err := Load(p, infer.Options{Threads: 2, ContextSize: 2048, Parallel: 4, CacheEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	toks, _ := e.Tokenize(strings.Repeat("select the columns and group by region. ", 120))
	toks = toks[:600]
	e.batch.Clear()
	for i, tk := range toks[:500] {
		e.batch.Add(tk, nil, i, false, 0)
	}
	if err := e.lctx.Decode(e.batch); err != nil {
		t.Fatal(err)
	}
	for s := 1; s < 4; s++ {
		e.lctx.KvCacheSeqCp(0, s, -1, -1)
	}
	pos := 500
	step := func(seqs []int, copyBefore bool) float64 {
		if copyBefore {
			e.lctx.KvCacheSeqCp(0, 3, -1, -1)
		}
		e.batch.Clear()
		for _, s := range seqs {
			e.batch.Add(toks[pos], nil, pos, true, s)
		}
		t0 := time.Now()
		if err := e.lctx.Decode(e.batch); err != nil {
			t.Fatal(err)
		}
		ms := msSince(t0)
		for _, s := range seqs {
			e.lctx.KvCacheSeqRm(s, pos, -1)
		}
		return ms
	}
	med := func(f func() float64) float64 {
		var xs []float64
		for i := 0; i < 9; i++ {
			xs = append(xs, f())
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	step([]int{0}, false) // warm-up
	one := med(func() float64 { return step([]int{3}, false) })
	oneCopy := med(func() float64 { return step([]int{3}, true) })
	cons := med(func() float64 { return step([]int{0, 1}, false) })
	gap := med(func() float64 { return step([]int{0, 2}, false) })
	cons3 := med(func() float64 { return step([]int{0, 1, 2}, false) })
	rows := func(n int) float64 {
		e.batch.Clear()
		for i := 0; i < n; i++ {
			e.batch.Add(toks[pos+i], nil, pos+i, true, 0)
		}
		t0 := time.Now()
		if err := e.lctx.Decode(e.batch); err != nil {
			t.Fatal(err)
		}
		ms := msSince(t0)
		e.lctx.KvCacheSeqRm(0, pos, -1)
		return ms
	}
	for _, n := range []int{1, 2, 3, 4, 5, 6, 8, 9, 12, 16, 20, 32} {
		t.Logf("decode %2d tokens of one sequence: %.1f ms", n, med(func() float64 { return rows(n) }))
	}
	t.Logf("per-sequence cells %d; medians of 9 (machine shared, noisy)", e.perSeq)
	t.Logf("decode 1 token: %.1f ms; after a full-sequence copy: %.1f ms (copy ~%.1f ms)", one, oneCopy, oneCopy-one)
	t.Logf("decode 2 sequences 0,1: %.1f ms; 0,2 (not consecutive): %.1f ms; 3 sequences 0,1,2: %.1f ms", cons, gap, cons3)
}
