package commands

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"polarsbench/harness/prompt"
	"polarsbench/harness/repo"
	"polarsbench/infer/llamacpp"
)

func newCmdBench(ios *IOStreams) *cobra.Command {
	return newGroup("bench", "Measure parts of the harness", "bench needs a subcommand (infer)", newCmdBenchInfer(ios))
}

type benchInferOptions struct {
	llamacpp.BenchOptions
	JSON    bool
	Verbose bool
}

func newCmdBenchInfer(ios *IOStreams) *cobra.Command {
	o := &benchInferOptions{}
	c := &cobra.Command{
		Use:   "infer",
		Short: "Prompt and decode speed (K=1,4,8) beside a plain llama.cpp loop, and the cost of a cached prompt head",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.Check(); err != nil {
				return usageError("%v", err)
			}
			if o.Model == "" {
				o.Model = repo.DefaultModel()
			}
			o.System, o.Prefill = prompt.System(), prompt.AssistantPrefill
			llamacpp.SetVerbose(o.Verbose)
			b, err := llamacpp.Bench(c.Context(), o.BenchOptions)
			if err != nil {
				return err
			}
			out := ios.Out
			if o.JSON {
				return json.NewEncoder(out).Encode(b)
			}
			printBenchInfer(out, b)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&o.Model, "model", "", "GGUF model (default: the repository's default model)")
	f.IntVar(&o.Threads, "threads", 0, "CPU threads (0 = all cores)")
	f.IntVar(&o.GPULayers, "gpu-layers", 0, "layers on the GPU (-1 = all)")
	f.IntVar(&o.MaxTokens, "max-tokens", 96, "tokens per candidate in the decode runs (they stop at the code's closing fence)")
	f.IntVar(&o.CtxSize, "ctx", 2048, "KV cells per sequence")
	f.BoolVar(&o.FlashAttn, "flash-attn", false, "flash attention")
	f.IntSliceVar(&o.Ks, "k", []int{1, 4, 8}, "candidate counts of the decode runs")
	f.IntVar(&o.Draft, "draft", 0, "prompt-lookup draft tokens per step (0 = the engine's default, -1 = off)")
	f.IntVar(&o.CacheEntries, "cache-entries", 0, "prefix cache entries (0 = the engine's default)")
	f.IntVar(&o.Repeat, "repeat", 3, "runs of each measurement; medians are reported")
	f.BoolVar(&o.JSON, "json", false, "print the figures as JSON")
	f.BoolVarP(&o.Verbose, "verbose", "v", false, "show llama.cpp's log")
	return c
}

func printBenchInfer(out io.Writer, b llamacpp.BenchResult) {
	fmt.Fprintf(out, "model %s, %d threads, flash attention %v, draft %d; medians of %d runs\n", b.Model, b.Threads, b.FlashAttention, b.Draft, b.Repeat)
	if len(b.WeightBuffers) > 0 {
		keys := make([]string, 0, len(b.WeightBuffers))
		for k := range b.WeightBuffers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %.0f MiB", k, b.WeightBuffers[k])
		}
		fmt.Fprintf(out, "weights  %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(out, "%-34s %9s %9s %9s %10s\n", "", "ours", "no draft", "plain", "ours/plain")
	fmt.Fprintf(out, "%-34s %9.1f %9s %9.1f %9.2fx\n", fmt.Sprintf("prompt tok/s (%d tokens, cold)", b.PromptTokens), b.PromptTokS, "", b.PlainPromptTokS, llamacpp.Ratio(b.PromptTokS, b.PlainPromptTokS))
	for _, k := range b.Ks {
		fmt.Fprintf(out, "%-34s %9.1f %9.1f %9.1f %9.2fx\n", fmt.Sprintf("decode tok/s K=%d (aggregate)", k), b.Decode[k], b.NoDraftDecode[k], b.PlainDecode[k], llamacpp.Ratio(b.Decode[k], b.PlainDecode[k]))
	}
	for _, k := range b.Ks {
		fmt.Fprintf(out, "drafts   K=%d: %.2f verified, %.2f accepted, %.2f tokens per stream step (shared streams and accepted drafts)\n", k, b.DraftPerStep[k], b.AcceptedPerStep[k], b.TokensPerStep[k])
	}
	fmt.Fprintf(out, "head     %d tokens: cold prefill %.0f ms, warm %.0f ms (%d cached) = %.1f%% of cold\n",
		b.HeadTokens, b.ColdPrefillMs, b.WarmPrefillMs, b.WarmCachedToks, 100*llamacpp.Ratio(b.WarmPrefillMs, b.ColdPrefillMs))
	fmt.Fprintf(out, "cache    %d requests over alternating table sets: %d of %d prompt tokens cached (%.0f%%); a return to a table set prefills in %.0f ms (%d cached)\n",
		b.CacheRequests, b.CacheCachedTokens, b.CachePromptTokens, 100*llamacpp.Ratio(float64(b.CacheCachedTokens), float64(b.CachePromptTokens)), b.ReturnPrefillMs, b.ReturnCachedToks)
}
