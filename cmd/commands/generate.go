package commands

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"polarsbench/harness/repo"
	"polarsbench/infer"
	"polarsbench/infer/llamacpp"
)

type generateOptions struct {
	IO        *IOStreams
	Model     string
	Prompt    string
	System    string
	Prefill   string
	Stop      []string
	K         int
	Temp      float32
	TopP      float32
	Seed      uint32
	MaxTokens int
	Threads   int
	CtxSize   int
	GPULayers int
	JSON      bool
	Verbose   bool
}

func newCmdGenerate(ios *IOStreams) *cobra.Command {
	o := &generateOptions{IO: ios}
	c := &cobra.Command{
		Use:   "generate --prompt TEXT",
		Short: "Sample K completions of one chat prompt with the inference engine",
		Example: `  harness generate --prompt "Write Polars code counting rows of df." --k 4 --temp 0.7
  harness generate --model models/smollm2-135m-instruct-q4_1.gguf --prompt "Hi" --json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			return runGenerate(c, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.Model, "model", "", "GGUF model (default: the repository's default model)")
	f.StringVar(&o.Prompt, "prompt", "", "user message (required)")
	f.StringVar(&o.System, "system", "", "system message (default: the template's own)")
	f.StringVar(&o.Prefill, "prefill", "", "text opening the assistant turn (not printed)")
	f.StringArrayVar(&o.Stop, "stop", nil, "stop string, repeatable")
	f.IntVar(&o.K, "k", 1, "candidates (candidate 0 is greedy)")
	f.Float32Var(&o.Temp, "temp", 0.7, "temperature of candidates 1..K-1")
	f.Float32Var(&o.TopP, "top-p", 1, "top-p of candidates 1..K-1")
	f.Uint32Var(&o.Seed, "seed", 0, "seed; candidate i uses seed+i")
	f.IntVar(&o.MaxTokens, "max-tokens", 256, "tokens per candidate at most")
	f.IntVar(&o.Threads, "threads", 0, "CPU threads (0 = all cores)")
	f.IntVar(&o.CtxSize, "ctx", 2048, "KV cells per sequence")
	f.IntVar(&o.GPULayers, "gpu-layers", 0, "layers on the GPU (-1 = all)")
	f.BoolVar(&o.JSON, "json", false, `print exactly {"candidates":[...],"timing":{...}}`)
	f.BoolVarP(&o.Verbose, "verbose", "v", false, "show llama.cpp's log")
	return c
}

func (o *generateOptions) validate() error {
	switch {
	case o.Prompt == "":
		return usageError("--prompt is required")
	case o.K < 1 || o.K > 64:
		return usageError("--k %d: want 1..64", o.K)
	case o.Temp < 0:
		return usageError("--temp %v: want >= 0", o.Temp)
	case o.TopP <= 0 || o.TopP > 1:
		return usageError("--top-p %v: want (0, 1]", o.TopP)
	case o.MaxTokens < 1:
		return usageError("--max-tokens %d: want >= 1", o.MaxTokens)
	case o.Threads < 0 || o.CtxSize < 16:
		return usageError("--threads must be >= 0 and --ctx >= 16")
	}
	if o.Model == "" {
		o.Model = repo.DefaultModel()
	}
	return nil
}

func (o *generateOptions) request() infer.Request {
	var msgs []infer.Message
	if o.System != "" {
		msgs = append(msgs, infer.Message{Role: "system", Content: o.System})
	}
	msgs = append(msgs, infer.Message{Role: "user", Content: o.Prompt})
	return infer.Request{Messages: msgs, K: o.K, Temperature: o.Temp, TopP: o.TopP, Seed: o.Seed,
		MaxTokens: o.MaxTokens, Stop: o.Stop, Prefill: o.Prefill}
}

func runGenerate(c *cobra.Command, o *generateOptions) error {
	llamacpp.SetVerbose(o.Verbose)
	eng, err := llamacpp.Load(o.Model, infer.Options{Threads: o.Threads, GPULayers: o.GPULayers, ContextSize: o.CtxSize, Parallel: o.K})
	if err != nil {
		return err
	}
	defer eng.Close()
	res, err := eng.Generate(c.Context(), o.request())
	if err != nil {
		return err
	}
	return printResult(o.IO.Out, res, o.JSON)
}

func printResult(out io.Writer, res infer.Result, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(out).Encode(res)
	}
	for i, cd := range res.Candidates {
		fmt.Fprintf(out, "--- candidate %d: %s, %d tokens, mean log-prob %.3f\n%s\n", i, cd.Finish, cd.Tokens, cd.MeanLogprob, cd.Text)
	}
	t := res.Timing
	fmt.Fprintf(out, "--- prompt %d tokens (%d cached), prefill %.0f ms; %d tokens generated, decode %.0f ms\n",
		t.PromptTokens, t.CachedTokens, t.PrefillMs, t.TokensGenerated, t.DecodeMs)
	return nil
}
