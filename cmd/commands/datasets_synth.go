package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"polarsbench/datasets"
	"polarsbench/datasets/core"
	"polarsbench/harness/repo"
	"polarsbench/harness/worker"
)

// DatasetsSynthOptions are the flags of `harness datasets synth`.
type DatasetsSynthOptions struct {
	IO                        *IOStreams
	Tables, Out, Python, Exec string
	N, Workers, Families      int
	Seed                      uint64
	Heldout                   float64
}

func newCmdDatasetsSynth(ios *IOStreams) *cobra.Command {
	o := &DatasetsSynthOptions{IO: ios}
	c := &cobra.Command{
		Use:   "synth",
		Short: "Generate verified synthetic training tasks over the bench tables and random tables",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.Out == "" {
				return usageError("datasets synth: --out FILE is required")
			}
			if o.N <= 0 {
				return usageError("datasets synth: --n must be positive")
			}
			if o.Heldout < 0 || o.Heldout >= 1 {
				return usageError("datasets synth: --heldout must be in [0, 1)")
			}
			if o.Exec != "helper" && o.Exec != "pool" {
				return usageError("datasets synth: --exec is helper or pool, not %q", o.Exec)
			}
			return runDatasetsSynth(c, o)
		},
	}
	c.Flags().StringVar(&o.Tables, "tables", repo.DataDir(), "folder of the bench .parquet tables")
	c.Flags().IntVar(&o.N, "n", 5000, "number of tasks")
	c.Flags().Uint64Var(&o.Seed, "seed", 1, "random seed (same seed, same file)")
	c.Flags().StringVar(&o.Out, "out", "", "output tasks file (.jsonl); random tables go to FILE.tables/")
	c.Flags().Float64Var(&o.Heldout, "heldout", 0.1, "share of each category kept out of training")
	c.Flags().IntVar(&o.Families, "random-families", 12, "families of 3 related random tables")
	c.Flags().IntVar(&o.Workers, "workers", 2, "Python processes executing gold code")
	c.Flags().StringVar(&o.Exec, "exec", "helper", "gold executor: helper (batched, built in) or pool (harness/worker)")
	addPolarsPython(c.Flags(), &o.Python)
	return c
}

func runDatasetsSynth(c *cobra.Command, o *DatasetsSynthOptions) error {
	ctx := c.Context() // cancelled by Ctrl-C (Execute)
	if ctx == nil {
		ctx = context.Background()
	}
	py := polarsPython(o.Python)
	opts := datasets.SynthOptions{
		TablesDir: o.Tables, N: o.N, Seed: o.Seed, Heldout: o.Heldout,
		RandomDir: o.Out + ".tables", RandomFamilies: o.Families,
		Python: py, Workers: o.Workers, Progress: o.IO.ErrOut,
	}
	if o.Exec == "pool" {
		pool, err := worker.NewPool(ctx, worker.Options{Python: py, Workers: o.Workers, PolarsThreads: 1})
		if err != nil {
			return err
		}
		defer pool.Close()
		opts.Exec = poolExec{pool}
	}
	if dir := filepath.Dir(o.Out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tasks, st, err := datasets.Synthesize(ctx, opts)
	if err != nil {
		return err
	}
	if err := core.WriteTasks(o.Out, tasks); err != nil {
		return err
	}
	b, _ := json.Marshal(st)
	fmt.Fprintf(o.IO.Out, "wrote %d tasks (%d held out) to %s in %s\n%s\n", len(tasks), st.Heldout, o.Out, st.Elapsed.Round(1e8), b)
	return nil
}

// poolExec adapts the worker pool to datasets.Executor.
type poolExec struct{ p *worker.Pool }

func (e poolExec) Exec(ctx context.Context, tables []core.TableRef, code string) (datasets.ExecResult, error) {
	out, err := e.p.Exec(ctx, worker.Job{Tables: tables, Code: code})
	if err != nil {
		return datasets.ExecResult{}, err
	}
	return datasets.ExecResult{OK: out.OK, ErrorKind: out.ErrorKind, Error: out.Error, Fingerprint: out.Fingerprint}, nil
}
