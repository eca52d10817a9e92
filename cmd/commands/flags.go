package commands

import (
	"os"

	"github.com/spf13/pflag"

	"polarsbench/finetune"
	"polarsbench/harness/repo"
)

// Flags that several commands share, defined once so their names, defaults
// and help stay the same everywhere.

// addPolarsPython adds --python, the interpreter that runs Polars code (exec,
// judge, datasets tables and synth); read it with polarsPython.
func addPolarsPython(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "python", "", "interpreter with polars (default: the project venv)")
}

// polarsPython is the --python value, else the project venv's interpreter.
func polarsPython(flag string) string {
	if flag == "" {
		return repo.Python()
	}
	return flag
}

// addHyperFlags adds the LoRA hyperparameters that finetune run and improve
// both take (each adds its own --max-length and the rest).
func addHyperFlags(f *pflag.FlagSet, h *finetune.Hyper) {
	f.IntVar(&h.Rank, "rank", h.Rank, "LoRA rank")
	f.Float64Var(&h.Alpha, "alpha", h.Alpha, "LoRA alpha")
	f.Float64Var(&h.LR, "lr", h.LR, "peak learning rate")
	f.Float64Var(&h.Epochs, "epochs", h.Epochs, "passes over the data")
	f.IntVar(&h.MaxSteps, "max-steps", 0, "optimizer steps (0: --epochs decides)")
	f.IntVar(&h.Seed, "seed", 0, "random seed")
	f.Float64Var(&h.Dropout, "dropout", h.Dropout, "LoRA dropout")
	f.IntVar(&h.BatchSize, "batch-size", h.BatchSize, "examples per micro-batch (those sharing a prompt prefix compute it once)")
	f.IntVar(&h.GradAccum, "grad-accum", h.GradAccum, "micro-batches per optimizer step")
	f.IntVar(&h.Threads, "threads", 0, "CPU threads for training (0: torch's default)")
	f.IntVar(&h.CheckpointEvery, "checkpoint-every", h.CheckpointEvery, "optimizer steps between checkpoints (0: only on interrupt and at the end)")
}

// addFinetunePython adds --python, the fine-tune venv's interpreter.
func addFinetunePython(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "python", "", "fine-tune Python (default $FT_PYTHON or .venv-ft/bin/python)")
}

// mustExist is a usage error naming the first of paths that does not exist.
func mustExist(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return usageError("%s does not exist", p)
		}
	}
	return nil
}
