package commands

import (
	"context"
	"fmt"
	"log"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"polarsbench/harness/answer"
	"polarsbench/harness/repo"
	"polarsbench/infer"
	"polarsbench/infer/llamacpp"
)

// solverFlags are the flags shared by serve, ask and run: which model, which
// settings, which example bank. Settings come from defaults, then --config,
// then any flag given explicitly.
type solverFlags struct {
	flags        *pflag.FlagSet
	Model        string
	Config       string
	Python       string
	Bank         []string
	NoBank       bool
	K            int
	KSingle      int
	Temp         float32
	MaxTokens    int
	Examples     int
	Budget       float64
	Repair       bool
	Threads      int
	GPULayers    string
	CtxSize      int
	Workers      int
	EngineLog    bool
	KVCache      string
	Batch        int
	CacheEntries int
	FlashAttn    bool
	// --device and the measured figures it decides from (device.go).
	Device        string
	DeviceFigures string
}

func (f *solverFlags) add(c *cobra.Command) {
	d := answer.DefaultSettings()
	fl := c.Flags()
	f.flags = fl
	fl.StringVar(&f.Model, "model", "", "GGUF model (default models/DEFAULT or "+repo.DefaultModelFile+")")
	fl.StringVar(&f.Config, "config", "", "JSON settings file (fields of answer.Settings)")
	fl.StringVar(&f.Python, "python", "", "Python with polars 1.39.3 for the workers (default $HARNESS_PYTHON or .venv)")
	fl.StringSliceVar(&f.Bank, "bank", nil, "example bank files or folders (bench .json or task .jsonl); default the bundled dev questions")
	fl.BoolVar(&f.NoBank, "no-bank", false, "no retrieved examples")
	fl.IntVar(&f.K, "k", d.K, "candidates per question (candidate 0 greedy)")
	fl.IntVar(&f.KSingle, "k-single", d.KSingle, "candidates per question over one table, at most --k (0: --k)")
	fl.Float32Var(&f.Temp, "temp", d.Temperature, "sampling temperature of candidates 1..k-1")
	fl.IntVar(&f.MaxTokens, "max-tokens", d.MaxTokens, "max tokens per candidate")
	fl.IntVar(&f.Examples, "examples", d.Examples, "retrieved examples per prompt")
	fl.Float64Var(&f.Budget, "budget", d.BudgetS, "seconds per question before answering with what there is")
	fl.BoolVar(&f.Repair, "repair", d.Repair, "one repair round when every candidate fails")
	fl.IntVar(&f.Threads, "threads", 0, "inference threads (default all cores)")
	fl.StringVar(&f.GPULayers, "gpu-layers", "0", "layers on the GPU: N or all (needs `make cuda`)")
	fl.IntVar(&f.CtxSize, "ctx", 2048, "KV cells per sequence: prompt plus answer must fit (each candidate copies it)")
	fl.IntVar(&f.Workers, "workers", 0, "Polars workers (default min(k, cores), at least 2)")
	fl.BoolVar(&f.EngineLog, "engine-log", false, "print llama.cpp's load and context logs")
	fl.StringVar(&f.KVCache, "kv-cache", "", "KV cache type: f16 (default), q8_0 or q4_0 (less memory; q4_0/q8_0 need --flash-attn)")
	fl.IntVar(&f.CacheEntries, "cache-entries", 0, "prefix cache entries, each a sequence of --ctx KV cells (default 4)")
	fl.IntVar(&f.Batch, "batch", 0, "prompt micro-batch size (default 512): smaller lowers compute-buffer memory")
	fl.BoolVar(&f.FlashAttn, "flash-attn", false, "flash attention (needed by a quantized KV cache)")
	fl.StringVar(&f.Device, "device", "auto", "cpu, gpu or auto: auto takes the GPU only when one is usable and its measured plan scores higher (logged at start)")
	fl.StringVar(&f.DeviceFigures, "device-figures", "", "measured plan figures for --device auto (JSON; default the built-in harness/device/figures.json)")
}

func (f *solverFlags) settings() (answer.Settings, error) {
	s, err := answer.LoadSettings(f.Config)
	if err != nil {
		return s, err
	}
	set := func(name string, apply func()) {
		if f.flags.Changed(name) {
			apply()
		}
	}
	set("k", func() { s.K = f.K })
	set("k-single", func() { s.KSingle = f.KSingle })
	set("temp", func() { s.Temperature = f.Temp })
	set("max-tokens", func() { s.MaxTokens = f.MaxTokens })
	set("examples", func() { s.Examples = f.Examples })
	set("budget", func() { s.BudgetS = f.Budget })
	set("repair", func() { s.Repair = f.Repair })
	if f.NoBank {
		s.Examples = 0
	}
	return s, s.Validate()
}

func parseGPULayers(v string) (int, error) {
	if v == "all" {
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < -1 {
		return 0, fmt.Errorf("--gpu-layers: want a number or all, got %q", v)
	}
	return n, nil
}

// open builds the solver stack from the flags: settings and device here (flag
// parsing and the cgo device probe), the rest in answer.Open with llama.cpp as
// the loader.
func (f *solverFlags) open(ctx context.Context, info *log.Logger) (*answer.Stack, error) {
	llamacpp.SetVerbose(f.EngineLog)
	settings, err := f.settings()
	if err != nil {
		return nil, usageError("%v", err)
	}
	gpu, err := parseGPULayers(f.GPULayers)
	if err != nil {
		return nil, usageError("%v", err)
	}
	if gpu, err = f.chooseDevice(info, settings.K, gpu); err != nil {
		return nil, err
	}
	return answer.Open(ctx, answer.Config{
		Settings: settings, Model: f.Model, Load: loadLlamacpp, Python: f.Python, Workers: f.Workers,
		NoBank: f.NoBank, BankFiles: f.Bank, Log: info,
		Engine: infer.Options{
			Threads: f.Threads, GPULayers: gpu, ContextSize: f.CtxSize,
			KVCacheType: strings.TrimPrefix(f.KVCache, "f16"), BatchSize: f.Batch, FlashAttention: f.FlashAttn, CacheEntries: f.CacheEntries,
		},
	})
}

// loadLlamacpp is answer.Loader over the llama.cpp engine.
func loadLlamacpp(model string, o infer.Options) (answer.Engine, error) {
	e, err := llamacpp.Load(model, o)
	if err != nil {
		return nil, err
	}
	return e, nil
}
