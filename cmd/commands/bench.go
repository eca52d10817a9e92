package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"polarsbench/harness/repo"
	"polarsbench/infer"
)

func init() { register(newCmdBench) }

func newCmdBench() *cobra.Command {
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure parts of the harness",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return usageError("bench needs a subcommand (infer)")
		},
	}
	c.AddCommand(newCmdBenchInfer())
	return c
}

type benchInferOptions struct {
	Model     string
	Threads   int
	GPULayers int
	MaxTokens int
	CtxSize   int
	JSON      bool
	Verbose   bool
}

// BenchInfer is what `bench infer` measures; tokens/s are aggregate over all sequences.
type BenchInfer struct {
	Model          string          `json:"model"`
	Threads        int             `json:"threads"`
	PromptTokens   int             `json:"prompt_tokens"`
	PromptTokS     float64         `json:"prompt_tok_s"`
	Decode         map[int]float64 `json:"decode_tok_s"` // by K
	HeadTokens     int             `json:"head_tokens"`
	ColdPrefillMs  float64         `json:"cold_prefill_ms"`
	WarmPrefillMs  float64         `json:"warm_prefill_ms"`
	WarmCachedToks int             `json:"warm_cached_tokens"`
}

func newCmdBenchInfer() *cobra.Command {
	o := &benchInferOptions{}
	c := &cobra.Command{
		Use:   "infer",
		Short: "Prompt and decode speed (K=1,4,8) and the cost of a cached prompt head",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.Threads < 0 || o.MaxTokens < 1 || o.CtxSize < 16 {
				return usageError("--threads must be >= 0, --max-tokens >= 1 and --ctx >= 16")
			}
			if o.Model == "" {
				o.Model = repo.DefaultModel()
			}
			infer.SetVerbose(o.Verbose)
			b, err := runBenchInfer(c.Context(), o)
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			if o.JSON {
				return json.NewEncoder(out).Encode(b)
			}
			fmt.Fprintf(out, "model %s, %d threads\n", b.Model, b.Threads)
			fmt.Fprintf(out, "prompt   %7.1f tok/s (%d tokens, cold)\n", b.PromptTokS, b.PromptTokens)
			for _, k := range []int{1, 4, 8} {
				fmt.Fprintf(out, "decode   %7.1f tok/s aggregate at K=%d (%.2fx K=1)\n", b.Decode[k], k, b.Decode[k]/b.Decode[1])
			}
			fmt.Fprintf(out, "head     %d tokens: cold prefill %.0f ms, warm %.0f ms (%d cached) = %.1f%% of cold\n",
				b.HeadTokens, b.ColdPrefillMs, b.WarmPrefillMs, b.WarmCachedToks, 100*b.WarmPrefillMs/b.ColdPrefillMs)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&o.Model, "model", "", "GGUF model (default: the repository's default model)")
	f.IntVar(&o.Threads, "threads", 0, "CPU threads (0 = all cores)")
	f.IntVar(&o.GPULayers, "gpu-layers", 0, "layers on the GPU (-1 = all)")
	f.IntVar(&o.MaxTokens, "max-tokens", 48, "tokens per candidate in the decode runs")
	f.IntVar(&o.CtxSize, "ctx", 1024, "KV cells per sequence (9 sequences: the prompt and K=8)")
	f.BoolVar(&o.JSON, "json", false, "print the figures as JSON")
	f.BoolVarP(&o.Verbose, "verbose", "v", false, "show llama.cpp's log")
	return c
}

// benchHead is a ~600-token static prompt head, like the harness's rules plus examples.
func benchHead(variant int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Session %d. You write Python Polars code that answers analytics questions.\n", variant)
	for i := 0; i < 24; i++ {
		fmt.Fprintf(&b, "Rule %d: read table t%d with its columns, filter rows where amount_%d > %d, group by region and sum revenue.\n", i, i, i, i*7)
	}
	return b.String()
}

func runBenchInfer(ctx context.Context, o *benchInferOptions) (BenchInfer, error) {
	b := BenchInfer{Model: o.Model, Threads: o.Threads, Decode: map[int]float64{}}
	eng, err := infer.Load(o.Model, infer.Options{Threads: o.Threads, GPULayers: o.GPULayers, ContextSize: o.CtxSize, Parallel: 8})
	if err != nil {
		return b, err
	}
	defer eng.Close()
	b.Threads = eng.Options().Threads
	run := func(r infer.Request) (infer.Result, error) { return eng.Generate(ctx, r) }
	msgs := func(head, q string) []infer.Message {
		return []infer.Message{{Role: "system", Content: head}, {Role: "user", Content: q}}
	}
	// Warm-up: first decodes pay for buffer allocation and page faults.
	if _, err := run(infer.Request{Messages: msgs("warm up", "hi"), MaxTokens: 2}); err != nil {
		return b, err
	}
	cold, err := run(infer.Request{Messages: msgs(benchHead(1), "Question: total revenue per region?"), MaxTokens: 1})
	if err != nil {
		return b, err
	}
	b.PromptTokens = cold.Timing.PromptTokens - cold.Timing.CachedTokens
	b.PromptTokS = float64(b.PromptTokens) / (cold.Timing.PrefillMs / 1000)
	b.HeadTokens, b.ColdPrefillMs = cold.Timing.PromptTokens, cold.Timing.PrefillMs
	warm, err := run(infer.Request{Messages: msgs(benchHead(1), "Question: how many orders per customer?"), MaxTokens: 1})
	if err != nil {
		return b, err
	}
	b.WarmPrefillMs, b.WarmCachedToks = warm.Timing.PrefillMs, warm.Timing.CachedTokens

	q := "Write a long, well commented Python program with Polars that loads sales data and computes many statistics."
	for _, k := range []int{1, 4, 8} {
		res, err := run(infer.Request{Messages: msgs("You are a helpful programmer.", q), K: k, Temperature: 0.8, Seed: 1, MaxTokens: o.MaxTokens})
		if err != nil {
			return b, err
		}
		b.Decode[k] = float64(res.Timing.TokensGenerated) / (res.Timing.DecodeMs / 1000)
	}
	return b, nil
}
