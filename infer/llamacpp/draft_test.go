package llamacpp

import (
	"context"
	"math"
	"os"
	"reflect"
	"testing"

	"polarsbench/harness/repo"
	"polarsbench/infer"
)

func TestLookupDraft(t *testing.T) {
	h := []int{1, 2, 3, 4, 5, 9, 2, 3, 4, 7, 8, 1, 2, 3, 4}
	// "2 3 4" last occurred followed by 7 8 1
	if got := lookupDraft(h, 3); !reflect.DeepEqual(got, []int{7, 8, 1}) {
		t.Errorf("trigram: %v", got)
	}
	if got := lookupDraft(h, 10); !reflect.DeepEqual(got, []int{7, 8, 1, 2, 3, 4}) {
		t.Errorf("long draft stops at the end of the history: %v", got)
	}
	if got := lookupDraft([]int{5, 6, 1, 2, 9, 9, 7, 2}, 2); !reflect.DeepEqual(got, []int(nil)) {
		t.Errorf("no bigram match: %v", got)
	}
	if got := lookupDraft([]int{5, 7, 1, 9, 7, 1}, 2); !reflect.DeepEqual(got, []int{9, 7}) {
		t.Errorf("bigram: %v", got)
	}
	if lookupDraft(h, 0) != nil || lookupDraft(nil, 4) != nil {
		t.Error("empty cases")
	}
}

// sameWithAndWithoutDraft generates r with drafting off and on (several
// lengths): every candidate must be the same.
func sameWithAndWithoutDraft(t *testing.T, e *Engine, r infer.Request, lengths ...int) (accepted int) {
	t.Helper()
	r.Draft = -1
	plain := gen(t, e, r)
	if plain.Timing.DraftTokens != 0 {
		t.Errorf("draft off, yet %d draft tokens", plain.Timing.DraftTokens)
	}
	for _, d := range lengths {
		r.Draft = d
		spec := gen(t, e, r)
		for i := range plain.Candidates {
			a, b := plain.Candidates[i], spec.Candidates[i]
			// Log-probs come from logits computed in batches of another shape (see sameText).
			if a.Text != b.Text || a.Tokens != b.Tokens || a.Finish != b.Finish || math.Abs(a.MeanLogprob-b.MeanLogprob) > 0.05 {
				t.Errorf("draft %d, k=%d, candidate %d:\nplain %+v\nspec  %+v", d, r.K, i, plain.Candidates[i], spec.Candidates[i])
			}
		}
		tm := spec.Timing
		if tm.TokensGenerated != plain.Timing.TokensGenerated || tm.DraftAccepted > tm.DraftTokens || tm.Steps > plain.Timing.Steps+plain.Timing.SharedTokens {
			t.Errorf("draft %d: timing %+v, plain %+v", d, tm, plain.Timing)
		}
		accepted += tm.DraftAccepted
		t.Logf("draft %d k=%d: %d tokens in %d steps (plain %d), %d of %d drafts accepted, %.2f per step", d, r.K, tm.TokensGenerated, tm.Steps, plain.Timing.Steps, tm.DraftAccepted, tm.DraftTokens, tm.AcceptedPerStep())
	}
	return accepted
}

func TestDraftSameOutputTiny(t *testing.T) {
	e := loadTiny(t, infer.Options{})
	for _, r := range []infer.Request{
		{Messages: ask("abcabcabcabc abcabc"), MaxTokens: 300}, // a random model falls into a loop: drafts from its own text get accepted
		{Messages: ask("group by"), K: 4, Temperature: 0.9, Seed: 5, MaxTokens: 32, Stop: []string{"q"}},
	} {
		sameWithAndWithoutDraft(t, e, r, 1, 4, 8)
	}
}

const codePrompt = `Tables:
tpch_lineitem (6000 rows):
  l_orderkey: Int64
  l_quantity: Float64
  l_extendedprice: Float64
  l_discount: Float64, e.g. 0.03
  l_returnflag: String, one of "A", "N", "R"
  l_shipdate: String, e.g. "2020-01-17"
  l_shipmode: String, one of "AIR", "MAIL", "SHIP", "TRUCK"

Solved examples:
Q: Sum of l_extendedprice per l_returnflag.
result = tpch_lineitem.group_by("l_returnflag").agg(pl.col("l_extendedprice").sum().round(2).alias("sum_base_price")).sort("l_returnflag")

Question: For each l_shipmode, the average l_discount and the total l_quantity of lines shipped in 2023, sorted by l_shipmode.`

func codeRequest(k int) infer.Request {
	return infer.Request{
		Messages:  []infer.Message{{Role: "system", Content: "You write Python Polars code. Assign the answer to result."}, {Role: "user", Content: codePrompt}},
		Prefill:   "```python\n",
		Stop:      []string{"```"},
		MaxTokens: 80,
		K:         k, Temperature: 0.7, Seed: 3,
	}
}

// Verifying drafts computes logits in batches of several tokens per sequence,
// plain decoding in batches of one: the same maths in other kernels, whose
// float rounding differs. On SmolLM2 (Q4_1: no repacked weights) only the
// attention kernel depends on the batch shape, and flash attention's does not:
// with it the logits are bit-identical and so must be every candidate, greedy
// or sampled. (Without it logits move by up to ~1 and greedy text can flip at
// near-ties; the engine's K batching and prefix cache live with the same.)
func TestDraftSameOutputSmolLM(t *testing.T) {
	e, err := Load(smolModel(t), infer.Options{Threads: 2, ContextSize: 1024, Parallel: 4, FlashAttention: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	acc := sameWithAndWithoutDraft(t, e, codeRequest(1), 2, 4, 8)
	acc += sameWithAndWithoutDraft(t, e, codeRequest(4), 4)
	if acc == 0 {
		t.Error("no draft token accepted on a code prompt")
	}
}

// On Qwen's Q4_K weights the repacked kernels round differently for rows taken
// four at a time (gemm) and one at a time (gemv, used below 4 rows), and so
// does the attention without flash attention: logits move by up to ~0.6
// between batch shapes and greedy text can flip at near-ties. With flash
// attention, K=1 with at most 2 drafts takes every row through gemv both ways,
// so the output must be the same. K=4 is not compared here: plain K=4 decodes
// shared streams (1 to 4 rows a step, see stream) while K=4 with drafts feeds
// 4*(1+d) rows, so the two round differently; TestDraftSameOutputSmolLM
// asserts K=4, greedy and sampled, where the batch shape changes no bit.
func TestDraftSameOutputQwen(t *testing.T) {
	p := repo.Model(repo.DefaultModelFile)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("Qwen not on disk (%s); run make models", p)
	}
	e, err := Load(p, infer.Options{Threads: 2, ContextSize: 1024, Parallel: 4, FlashAttention: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r := codeRequest(1)
	r.MaxTokens = 48
	acc := sameWithAndWithoutDraft(t, e, r, 1, 2)
	if acc == 0 {
		t.Error("no draft token accepted on a code prompt")
	}
	if _, err := e.Generate(context.Background(), infer.Request{Messages: ask("x"), Draft: infer.MaxDraft + 1}); err == nil {
		t.Error("draft above the maximum accepted")
	}
}
