package commands

import (
	"fmt"

	"github.com/spf13/cobra"

	"polarsbench/infer"
	"polarsbench/infer/llamacpp"
)

func newCmdQuantize(ios *IOStreams) *cobra.Command {
	var typ string
	var verbose bool
	c := &cobra.Command{
		Use:     "quantize IN OUT --type TYPE",
		Short:   "Quantise a GGUF model with llama.cpp",
		Example: "  harness quantize runs/ft/model-f16.gguf models/ft-q4_k_m.gguf --type q4_k_m",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError("quantize takes IN and OUT, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if !llamacpp.QuantTypeKnown(typ) {
				return usageError("--type %q: want %s", typ, llamacpp.QuantTypeNames)
			}
			llamacpp.SetVerbose(verbose)
			if err := llamacpp.Quantize(args[0], args[1], typ); err != nil {
				return err
			}
			info, err := infer.Inspect(args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(ios.Out, "%s: %s %s, %s\n", args[1], info.Arch, info.Quant, humanBytes(info.SizeBytes))
			return nil
		},
	}
	c.Flags().StringVar(&typ, "type", "q4_k_m", "target type: "+llamacpp.QuantTypeNames)
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "show llama.cpp's log")
	return c
}
