package answer

import (
	"context"
	"fmt"
	"io"
	"log"
	"runtime"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/prompt"
	"polarsbench/harness/repo"
	"polarsbench/harness/schema"
	"polarsbench/harness/worker"
	"polarsbench/infer"
)

// This file is the composition root of the pipeline: serve, ask and run build
// their Solver with Open, so the worker count, the Polars threads and the
// warm-up are decided in one place. It does not link llama.cpp: the caller
// passes the loader (llamacpp.Load in bin/harness, a fake in tests).

// Engine is a loaded model as Open needs it: it generates, describes itself
// and is closed when the stack is.
type Engine interface {
	Generator
	Info() infer.ModelInfo
	Close() error
}

// Loader loads the model file with the given engine options.
type Loader func(model string, o infer.Options) (Engine, error)

// Config is what Open builds a Solver from. The settings are final (defaults,
// file and flags already merged and validated by the caller).
type Config struct {
	Settings Settings
	Model    string // GGUF file; "" means repo.DefaultModel()
	Load     Loader
	// Engine options; Parallel is set to Settings.K.
	Engine infer.Options
	Python string // Python with polars for the workers; "" means repo.Python()
	// Workers is the Polars pool size; 0 means min(K, cores), at least 2.
	Workers int
	// NoBank leaves retrieved examples out; otherwise BankFiles (bench .json or
	// task .jsonl files or folders, default the bundled dev questions) are the bank.
	NoBank    bool
	BankFiles []string
	Log       *log.Logger // progress lines; nil discards them
}

// Stack is a loaded engine, a running pool and the solver over them.
type Stack struct {
	Solver   *Solver
	Engine   Engine
	Pool     *worker.Pool
	Info     infer.ModelInfo
	Workers  int
	BankSize int
}

// Close stops the pool and frees the engine; safe on a partly built stack.
func (s *Stack) Close() {
	if s.Pool != nil {
		_ = s.Pool.Close()
	}
	if s.Engine != nil {
		_ = s.Engine.Close()
	}
}

// polarsThreads is the Polars thread count of each worker: the queries are
// small, and on a many-core runner a full thread pool reserves enough address
// space to hit the per-worker memory limit.
const polarsThreads = 2

// DefaultWorkers is the pool size when none is given: one worker per
// candidate up to the cores, at least 2.
func DefaultWorkers(k int) int { return max(2, min(k, runtime.NumCPU())) }

// LoadBank reads the example bank from bench files or folders (default the
// bundled dev questions).
func LoadBank(files []string) (*prompt.Bank, error) {
	if len(files) == 0 {
		files = []string{repo.DevBench()}
	}
	var tasks []core.Task
	for _, p := range files {
		// Table paths by base name under the data folder, whatever the
		// working directory: the style reads the examples' columns (Example.Files).
		ts, err := core.LoadBench(p, repo.DataDir())
		if err != nil {
			return nil, fmt.Errorf("example bank: %w", err)
		}
		tasks = append(tasks, ts...)
	}
	return prompt.BankFromTasks(tasks), nil
}

// Open loads the bank and the model, starts the Polars workers and decodes the
// static prompt head once, so no question pays for it. On error nothing is
// left running.
func Open(ctx context.Context, c Config) (*Stack, error) {
	if c.Load == nil {
		return nil, fmt.Errorf("answer.Open: no model loader")
	}
	info := c.Log
	if info == nil {
		info = log.New(io.Discard, "", 0)
	}
	model := c.Model
	if model == "" {
		model = repo.DefaultModel()
	}
	python := c.Python
	if python == "" {
		python = repo.Python()
	}
	workers := c.Workers
	if workers <= 0 {
		workers = DefaultWorkers(c.Settings.K)
	}
	var bank *prompt.Bank
	bankSize := 0
	if !c.NoBank {
		var err error
		if bank, err = LoadBank(c.BankFiles); err != nil {
			return nil, err
		}
		bankSize = bank.Len()
	}

	st := &Stack{Workers: workers, BankSize: bankSize}
	info.Printf("loading model %s", model)
	opts := c.Engine
	opts.Parallel = c.Settings.K
	eng, err := c.Load(model, opts)
	if err != nil {
		return nil, err
	}
	st.Engine = eng
	st.Info = eng.Info()
	info.Printf("starting %d Polars workers (%s)", workers, python)
	st.Pool, err = worker.NewPool(ctx, worker.Options{
		Python: python, Workers: workers, Timeout: time.Duration(c.Settings.ExecTimeout * float64(time.Second)),
		PolarsThreads: polarsThreads,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	if _, err := eng.Generate(ctx, infer.Request{Messages: prompt.Build("warm up", nil, prompt.JoinPlan{}, nil), K: 1, MaxTokens: 1, Prefill: prompt.AssistantPrefill}); err != nil {
		st.Close()
		return nil, fmt.Errorf("warm-up generation: %w", err)
	}
	st.Solver = &Solver{
		Engine: eng, Pool: st.Pool, Schemas: schema.NewCache(), Bank: bank, Settings: c.Settings, Model: model,
	}
	return st, nil
}
