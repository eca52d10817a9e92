package llamacpp

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"polarsbench/infer"
)

// BenchOptions configure Bench. Zero Threads, Draft and CacheEntries are the
// engine's defaults, Draft -1 turns prompt-lookup drafting off.
type BenchOptions struct {
	Model        string
	Threads      int
	GPULayers    int // -1 = all
	MaxTokens    int // per candidate in the decode runs, which stop at the code's closing fence
	CtxSize      int // KV cells per sequence
	Repeat       int // runs of each measurement; the result holds medians
	FlashAttn    bool
	Draft        int
	CacheEntries int
	Ks           []int // candidate counts of the decode runs, each within 1..8
	// The harness's system prompt and assistant prefill (prompt.System(),
	// prompt.AssistantPrefill): the requests are the harness's prompts. They
	// are options because the harness's packages build on this one.
	System, Prefill string
}

// Check reports options Bench cannot measure with, in the words of the
// command's flags.
func (o BenchOptions) Check() error {
	if o.Threads < 0 || o.MaxTokens < 1 || o.CtxSize < 16 || o.Repeat < 1 {
		return errors.New("--threads must be >= 0, --max-tokens >= 1, --ctx >= 16 and --repeat >= 1")
	}
	for _, k := range o.Ks {
		if k < 1 || k > 8 {
			return errors.New("--k values must be within 1..8")
		}
	}
	return nil
}

// BenchResult is what Bench (the `bench infer` command) measures: medians over
// Repeat runs; tokens/s are aggregate over all sequences. Plain* are the same measurements
// made by a plain llama.cpp loop (Engine.PlainRun: same model, build and
// threads, none of the engine's logic: greedy, one token per sequence per step).
// Decode is the engine as configured (prompt-lookup drafting on unless Draft
// is -1), NoDraft the engine with drafting off; both answer realistic code
// prompts, stopping at the closing fence as the harness does.
type BenchResult struct {
	Model           string             `json:"model"`
	Ks              []int              `json:"k"`
	Threads         int                `json:"threads"`
	Repeat          int                `json:"repeat"`
	FlashAttention  bool               `json:"flash_attention"`
	Draft           int                `json:"draft"`
	WeightBuffers   map[string]float64 `json:"weight_buffers_mib"`
	PromptTokens    int                `json:"prompt_tokens"`
	PromptTokS      float64            `json:"prompt_tok_s"`
	PlainPromptTokS float64            `json:"plain_prompt_tok_s"`
	Decode          map[int]float64    `json:"decode_tok_s"` // by K
	NoDraftDecode   map[int]float64    `json:"nodraft_decode_tok_s"`
	PlainDecode     map[int]float64    `json:"plain_decode_tok_s"`
	AcceptedPerStep map[int]float64    `json:"accepted_per_step"` // draft tokens accepted per stream step
	TokensPerStep   map[int]float64    `json:"tokens_per_step"`
	DraftPerStep    map[int]float64    `json:"draft_per_step"` // draft tokens verified per stream step
	HeadTokens      int                `json:"head_tokens"`
	ColdPrefillMs   float64            `json:"cold_prefill_ms"`
	WarmPrefillMs   float64            `json:"warm_prefill_ms"`
	WarmCachedToks  int                `json:"warm_cached_tokens"`
	// The prefix cache over alternating table sets (A, B, A, B, ...): how many
	// prompt tokens came from the cache, and the prefill time of a return to a
	// table set against a cold prefill.
	CacheRequests     int     `json:"cache_requests"`
	CachePromptTokens int     `json:"cache_prompt_tokens"`
	CacheCachedTokens int     `json:"cache_cached_tokens"`
	ReturnPrefillMs   float64 `json:"return_prefill_ms"`
	ReturnCachedToks  int     `json:"return_cached_tokens"`
}

// Bench loads o.Model and measures it (see BenchResult): a warm-up, then
// o.Repeat rounds of a cold and a warm prompt head, a plain prompt run, four
// requests over alternating table sets through the prefix cache, and for each
// K a decode with drafting as configured, one without, and a plain decode.
func Bench(ctx context.Context, o BenchOptions) (BenchResult, error) {
	if err := o.Check(); err != nil {
		return BenchResult{}, err
	}
	b := BenchResult{Model: o.Model, Ks: o.Ks, Threads: o.Threads, Repeat: o.Repeat, Decode: map[int]float64{}, NoDraftDecode: map[int]float64{},
		PlainDecode: map[int]float64{}, AcceptedPerStep: map[int]float64{}, TokensPerStep: map[int]float64{}, DraftPerStep: map[int]float64{}}
	eng, err := Load(o.Model, infer.Options{Threads: o.Threads, GPULayers: o.GPULayers, ContextSize: o.CtxSize, Parallel: 8,
		FlashAttention: o.FlashAttn, Draft: o.Draft, CacheEntries: o.CacheEntries})
	if err != nil {
		return b, err
	}
	defer eng.Close()
	b.Threads, b.FlashAttention, b.Draft = eng.Options().Threads, eng.Options().FlashAttention, eng.Options().Draft
	b.WeightBuffers = eng.WeightBuffers()
	run := func(r infer.Request) (infer.Result, error) { return eng.Generate(ctx, r) }
	// Warm-up: first decodes pay for buffer allocation and page faults.
	if _, err := run(infer.Request{Messages: []infer.Message{{Role: "user", Content: "hi"}}, MaxTokens: 2}); err != nil {
		return b, err
	}
	var promptTokS, plainPrompt, cold, warm, warmCached, ret, retCached []float64
	decode, noDraft, plainDecode := map[int][]float64{}, map[int][]float64{}, map[int][]float64{}
	acc, tps, dps := map[int][]float64{}, map[int][]float64{}, map[int][]float64{}
	for rep := 0; rep < o.Repeat; rep++ {
		// Cold: a head never seen (the run number leads the system prompt).
		r := o.benchRequest(100+rep, "nw", benchQuestions["nw"][0], 1)
		c, err := run(r)
		if err != nil {
			return b, err
		}
		b.PromptTokens = c.Timing.PromptTokens - c.Timing.CachedTokens
		promptTokS = append(promptTokS, rate(b.PromptTokens, c.Timing.PrefillMs))
		b.HeadTokens = c.Timing.PromptTokens
		cold = append(cold, c.Timing.PrefillMs)
		// Warm: same head and tables, another question.
		w, err := run(o.benchRequest(100+rep, "nw", benchQuestions["nw"][1], 1))
		if err != nil {
			return b, err
		}
		warm = append(warm, w.Timing.PrefillMs)
		warmCached = append(warmCached, float64(w.Timing.CachedTokens))
		p, err := eng.PlainRun(ctx, r, 1)
		if err != nil {
			return b, err
		}
		plainPrompt = append(plainPrompt, p.PromptTokS())

		// The prefix cache: table sets A, B, A, B with new questions; a return
		// to A after B is what one entry alone could not serve.
		for i, set := range []string{"nw", "tpch", "nw", "tpch"} {
			qs := benchQuestions[set]
			res, err := run(o.benchRequest(200+rep, set, qs[(i/2+1)%len(qs)], 1))
			if err != nil {
				return b, err
			}
			b.CacheRequests++
			b.CachePromptTokens += res.Timing.PromptTokens
			b.CacheCachedTokens += res.Timing.CachedTokens
			if i == 2 {
				ret = append(ret, res.Timing.PrefillMs)
				retCached = append(retCached, float64(res.Timing.CachedTokens))
			}
		}

		for _, k := range b.Ks {
			set := []string{"tpch", "nw"}[rep%2]
			r := o.benchRequest(0, set, benchQuestions[set][rep%len(benchQuestions[set])], o.MaxTokens)
			r.K, r.Temperature, r.Seed = k, 0.8, uint32(1+rep)
			res, err := run(r)
			if err != nil {
				return b, err
			}
			tm := res.Timing
			decode[k] = append(decode[k], rate(tm.TokensGenerated, tm.DecodeMs))
			acc[k] = append(acc[k], tm.AcceptedPerStep())
			tps[k] = append(tps[k], Ratio(float64(tm.TokensGenerated), float64(tm.Steps)))
			dps[k] = append(dps[k], Ratio(float64(tm.DraftTokens), float64(tm.Steps)))
			r.Draft = -1
			if res, err = run(r); err != nil {
				return b, err
			}
			noDraft[k] = append(noDraft[k], rate(res.Timing.TokensGenerated, res.Timing.DecodeMs))
			p, err := eng.PlainRun(ctx, r, k)
			if err != nil {
				return b, err
			}
			plainDecode[k] = append(plainDecode[k], p.DecodeTokS())
		}
	}
	b.PromptTokS, b.PlainPromptTokS = median(promptTokS), median(plainPrompt)
	b.ColdPrefillMs, b.WarmPrefillMs, b.WarmCachedToks = median(cold), median(warm), int(median(warmCached))
	b.ReturnPrefillMs, b.ReturnCachedToks = median(ret), int(median(retCached))
	for _, k := range b.Ks {
		b.Decode[k], b.NoDraftDecode[k], b.PlainDecode[k] = median(decode[k]), median(noDraft[k]), median(plainDecode[k])
		b.AcceptedPerStep[k], b.TokensPerStep[k], b.DraftPerStep[k] = median(acc[k]), median(tps[k]), median(dps[k])
	}
	return b, nil
}

// Ratio is a/b, 0 when b is 0.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// median is the middle of xs (the mean of the two middle values for an even
// count), 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// benchTables are schemas in the harness's prompt format (prompt.RenderTable):
// the realistic, repeated middle of a prompt.
var benchTables = map[string]string{
	"nw": `nw_orders (830 rows):
  order_id: Int64
  customer_id: String, e.g. "BWGMJ"
  employee_id: Int64
  order_date: String, e.g. "2023-07-10"
  required_date: String, e.g. "2022-11-30"
  shipped_date: String, nulls, e.g. "2024-08-01"
  shipper_id: Int64
  freight: Float64
nw_customers (91 rows):
  customer_id: String, e.g. "PGWEI"
  company_name: String, e.g. "Company_1"
  contact_name: String
  contact_title: String, one of "Owner", "Sales Manager", "Marketing Manager", "Sales Representative"
  city: String, e.g. "Milan"
  country: String, e.g. "Italy"
  phone: String
  fax: String, nulls
nw_order_details (2155 rows):
  order_id: Int64
  product_id: Int64
  unit_price: Float64
  quantity: Int64
  discount: Float64, e.g. 0.05
nw_products (77 rows):
  product_id: Int64
  product_name: String, e.g. "Product_1"
  supplier_id: Int64
  category_id: Int64
  unit_price: Float64
  units_in_stock: Int64
  units_on_order: Int64
  reorder_level: Int64
  discontinued: Boolean
Join plan: nw_orders.customer_id = nw_customers.customer_id; nw_order_details.order_id = nw_orders.order_id; nw_order_details.product_id = nw_products.product_id
`,
	"tpch": `tpch_lineitem (6000 rows):
  l_orderkey: Int64
  l_partkey: Int64
  l_suppkey: Int64
  l_linenumber: Int64
  l_quantity: Float64
  l_extendedprice: Float64
  l_discount: Float64, e.g. 0.03
  l_tax: Float64, e.g. 0.07
  l_returnflag: String, one of "A", "N", "R"
  l_linestatus: String, one of "F", "O"
  l_shipdate: String, e.g. "2020-01-17"
  l_commitdate: String, e.g. "2024-02-28"
  l_receiptdate: String, e.g. "2022-01-25"
  l_shipinstruct: String, one of "COLLECT COD", "DELIVER IN PERSON", "NONE", "TAKE BACK RETURN"
  l_shipmode: String, one of "AIR", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK"
  l_comment: String
tpch_orders (1500 rows):
  o_orderkey: Int64
  o_custkey: Int64
  o_orderstatus: String, one of "F", "O", "P"
  o_totalprice: Float64
  o_orderdate: String, e.g. "2021-03-14"
  o_orderpriority: String, one of "1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"
  o_clerk: String, e.g. "Clerk#000000951"
  o_shippriority: Int64
Join plan: tpch_lineitem.l_orderkey = tpch_orders.o_orderkey
`,
}

var benchExamples = map[string]string{
	"nw": `Q: Total revenue (unit_price * quantity * (1 - discount)) per customer, highest first.
result = nw_order_details.join(nw_orders, on="order_id").with_columns((pl.col("unit_price") * pl.col("quantity") * (1 - pl.col("discount"))).alias("revenue")).group_by("customer_id").agg(pl.col("revenue").sum().round(2).alias("total_revenue")).sort("total_revenue", descending=True)

Q: Count orders per country of the customer.
result = nw_orders.join(nw_customers, on="customer_id").group_by("country").agg(pl.len().alias("count")).sort("count", descending=True)

Answer with only these tables: nw_orders, nw_customers, nw_order_details, nw_products.
`,
	"tpch": `Q: Sum of l_extendedprice per l_returnflag and l_linestatus.
result = tpch_lineitem.group_by("l_returnflag", "l_linestatus").agg(pl.col("l_extendedprice").sum().round(2).alias("sum_base_price")).sort("l_returnflag", "l_linestatus")

Q: Orders placed in 2022 with their line count.
result = tpch_orders.filter(pl.col("o_orderdate").str.slice(0, 4) == "2022").join(tpch_lineitem.group_by("l_orderkey").agg(pl.len().alias("line_count")), left_on="o_orderkey", right_on="l_orderkey")

Answer with only these tables: tpch_lineitem, tpch_orders.
`,
}

// benchQuestions per table set: what the decode runs answer.
var benchQuestions = map[string][]string{
	"nw": {
		"For each product, the total quantity ordered and the number of distinct customers who ordered it, with product_name, sorted by total quantity descending.",
		"Average freight per shipper_id for orders shipped in 2023, rounded to 2 decimals.",
		"Top 5 customers by number of orders, with company_name and country.",
	},
	"tpch": {
		"For each l_shipmode, the average l_discount and the total l_quantity of lines shipped in 2023, sorted by l_shipmode.",
		"Total price per o_orderpriority for orders with status F.",
	},
}

// benchRequest builds a prompt in the harness's order: static head (o.System,
// led by "# run N" for a variant N > 0), tables and join plan, examples,
// question; the answer opens a code block (o.Prefill) and stops at its
// closing fence.
func (o BenchOptions) benchRequest(variant int, set, question string, maxTokens int) infer.Request {
	head := o.System
	if variant > 0 {
		head = fmt.Sprintf("# run %d\n%s", variant, head)
	}
	user := "Tables:\n" + benchTables[set] + "\nSolved examples (they may use other tables):\n" + benchExamples[set] + "\nQuestion: " + question
	return infer.Request{
		Messages:  []infer.Message{{Role: "system", Content: head}, {Role: "user", Content: user}},
		Prefill:   o.Prefill,
		MaxTokens: maxTokens,
		Stop:      []string{"```"},
	}
}
