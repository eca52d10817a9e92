package commands

import (
	"fmt"

	"github.com/spf13/cobra"

	"polarsbench/datasets/export"
	"polarsbench/harness/repo"
)

// DatasetsExportOptions are the flags of `harness datasets export`.
type DatasetsExportOptions struct {
	IO                   *IOStreams
	Runs                 []string
	Synth, Out, Template string
	Dev                  string
}

func newCmdDatasetsExport(ios *IOStreams) *cobra.Command {
	o := &DatasetsExportOptions{IO: ios}
	c := &cobra.Command{
		Use:   "export",
		Short: "Write supervised fine-tuning examples (the inference prompt + verified code) from runs and synthetic tasks",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.Out == "" {
				return usageError("datasets export: --out FILE is required")
			}
			if len(o.Runs) == 0 && o.Synth == "" {
				return usageError("datasets export: give --runs RUNDIR... and/or --synth FILE")
			}
			return runDatasetsExport(o)
		},
	}
	c.Flags().StringSliceVar(&o.Runs, "runs", nil, "run folders written by harness score (samples.jsonl)")
	c.Flags().StringVar(&o.Synth, "synth", "", "synthetic tasks file; its train split is exported with gold targets")
	c.Flags().StringVar(&o.Out, "out", "", "output train.jsonl")
	c.Flags().StringVar(&o.Template, "template", "chatml", "chat template for the rendered text (chatml for Qwen)")
	c.Flags().StringVar(&o.Dev, "dev", repo.DevBench(), "dev questions that must never be exported")
	return c
}

func runDatasetsExport(o *DatasetsExportOptions) error {
	exs, err := export.Examples(export.Options{Runs: o.Runs, Synth: o.Synth, DevDir: o.Dev}.InferencePrompt(o.Template))
	if err != nil {
		return err
	}
	if err := export.WriteExamples(o.Out, exs); err != nil {
		return err
	}
	by := map[string]int{}
	for _, e := range exs {
		by[e.Source]++
	}
	fmt.Fprintf(o.IO.Out, "wrote %d examples (%d model, %d gold targets, %d steps of step-wise answers) to %s\n", len(exs), by["model"], by["gold"], by["step"], o.Out)
	return nil
}
