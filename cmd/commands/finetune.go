package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"polarsbench/finetune"
	"polarsbench/infer"
	"polarsbench/infer/llamacpp"
)

type finetuneRunOptions struct {
	IO              *IOStreams
	Base, Data, Out string
	Hyper           finetune.Hyper
	Quant           string
	CheckQuestion   string
	NoCheck         bool
	Python          string
	Launcher        string
	Resume          bool
	ZeroAdapter     bool
}

func newCmdFinetune(ios *IOStreams) *cobra.Command {
	c := &cobra.Command{
		Use:   "finetune",
		Short: "LoRA fine-tune a model on exported training data (train, merge, GGUF, quantize, check)",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(newCmdFinetuneRun(ios))
	return c
}

func newCmdFinetuneRun(ios *IOStreams) *cobra.Command {
	o := &finetuneRunOptions{IO: ios, Hyper: finetune.DefaultHyper()}
	c := &cobra.Command{
		Use:   "run --base PATH --data FILE --out DIR",
		Short: "Train a LoRA adapter, merge it, convert to GGUF, quantize and answer one dev question",
		Long: `Runs finetune/train_lora.py in the fine-tune venv (.venv-ft, made by make finetune-venv;
FT_PYTHON overrides) as a supervised child: Ctrl-C stops it and everything it started.
Then quantizes the merged GGUF (--quant), loads it, answers one dev question and writes
DIR/manifest.json (sha256 of base, data and output, hyperparameters, git commit, timings).
Progress and an ETA go to stderr. A checkpoint (LoRA weights, optimizer, position in the
data) is written to DIR/checkpoint every --checkpoint-every steps and on Ctrl-C; --resume
goes on from it exactly as the uninterrupted run would have.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runFinetune(c.Context(), o) },
	}
	f := c.Flags()
	f.StringVar(&o.Base, "base", "", "base model: a Hugging Face folder or a .gguf file (required)")
	f.StringVar(&o.Data, "data", "", "training JSON lines from `harness datasets export` (required)")
	f.StringVar(&o.Out, "out", "", "output folder (required)")
	addHyperFlags(f, &o.Hyper)
	f.StringVar(&o.Hyper.TargetModules, "target-modules", o.Hyper.TargetModules, "LoRA targets, comma-separated (q means q_proj)")
	f.IntVar(&o.Hyper.MaxLength, "max-length", o.Hyper.MaxLength, "tokens per example (longer ones are cut)")
	f.StringVar(&o.Hyper.OutType, "outtype", o.Hyper.OutType, "merged GGUF type before quantizing: f16 or q8_0")
	f.BoolVar(&o.Resume, "resume", false, "continue from DIR/checkpoint (same data and hyperparameters)")
	f.BoolVar(&o.ZeroAdapter, "zero-adapter", false, "no training: the base through the same merge, GGUF and quantize steps (their accuracy cost)")
	f.StringVar(&o.Quant, "quant", "q4_k_m", "final GGUF type: "+llamacpp.QuantTypeNames+", or none to keep the merged GGUF")
	f.StringVar(&o.CheckQuestion, "check-question", "", "question for the final check (default: the first dev question)")
	f.BoolVar(&o.NoCheck, "no-check", false, "skip loading the result and answering a question")
	addFinetunePython(f, &o.Python)
	f.StringVar(&o.Launcher, "launcher", "", `command that starts the script, e.g. "accelerate launch --num_processes 2" for several GPUs`)
	return c
}

func runFinetune(ctx context.Context, o *finetuneRunOptions) error {
	if o.Base == "" || o.Data == "" || o.Out == "" {
		return usageError("finetune run needs --base, --data and --out")
	}
	if err := mustExist(o.Base, o.Data); err != nil {
		return err
	}
	switch {
	case o.Quant == "none":
		o.Quant = ""
	case !llamacpp.QuantTypeKnown(o.Quant):
		return usageError("--quant %q: want %s, or none", o.Quant, llamacpp.QuantTypeNames)
	}
	if o.Hyper.OutType != "f16" && o.Hyper.OutType != "q8_0" {
		return usageError("--outtype %q: want f16 or q8_0", o.Hyper.OutType)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	opts := finetune.Options{Base: o.Base, Data: o.Data, Out: o.Out, Hyper: o.Hyper, Quant: o.Quant, Resume: o.Resume, ZeroAdapter: o.ZeroAdapter,
		Quantize: llamacpp.Quantize, Python: o.Python, Launcher: strings.Fields(o.Launcher),
		Progress: finetune.NewProgress(o.IO.ErrOut)}
	if !o.NoCheck {
		q := o.CheckQuestion
		if q == "" {
			var err error
			if q, err = finetune.DefaultCheckQuestion(); err != nil {
				return err
			}
		}
		opts.Check, opts.CheckQuestion = finetune.GreedyCheck(loadCheckModel), q
	}
	m, err := finetune.Run(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "model %s (sha256 %s)\nmanifest %s/manifest.json\n", m.Output.Path, m.Output.SHA256, o.Out)
	if m.CheckA != "" {
		fmt.Fprintf(o.IO.Out, "check answer:\n%s\n", m.CheckA)
	}
	return nil
}

// loadCheckModel is finetune.ModelLoader over the llama.cpp engine.
func loadCheckModel(path string, o infer.Options) (finetune.Model, error) {
	e, err := llamacpp.Load(path, o)
	if err != nil {
		return nil, err
	}
	return e, nil
}
