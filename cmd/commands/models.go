package commands

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"polarsbench/harness/repo"
	"polarsbench/infer"
)

type modelsOptions struct {
	IO   *IOStreams
	Dir  string
	JSON bool
}

func newCmdModels(ios *IOStreams) *cobra.Command {
	o := &modelsOptions{IO: ios}
	c := &cobra.Command{
		Use:   "models",
		Short: "List the GGUF models in a folder: arch, parameters, quantisation, size, chat template",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.Dir == "" {
				o.Dir = repo.Path("models")
			}
			return runModels(o)
		},
	}
	c.Flags().StringVar(&o.Dir, "dir", "", "folder holding .gguf files (default <repo>/models)")
	c.Flags().BoolVar(&o.JSON, "json", false, "print a JSON array instead of a table")
	return c
}

func runModels(o *modelsOptions) error {
	files, err := filepath.Glob(filepath.Join(o.Dir, "*.gguf"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(o.Dir); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	sort.Strings(files)
	type row struct {
		infer.ModelInfo
		Error string `json:"error,omitempty"`
	}
	rows := make([]row, 0, len(files))
	for _, f := range files {
		info, err := infer.Inspect(f)
		r := row{ModelInfo: info}
		r.Path = f
		if err != nil {
			r.Error = err.Error()
		}
		rows = append(rows, r)
	}
	out := o.IO.Out
	if o.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tARCH\tPARAMS\tQUANT\tSIZE\tTEMPLATE")
	for _, r := range rows {
		name := filepath.Base(r.Path)
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t%s\tinvalid: %s\n", name, humanBytes(r.SizeBytes), strings.TrimPrefix(r.Error, "model "+r.Path+": "))
			continue
		}
		tmpl := r.Template
		if tmpl == "" {
			tmpl = "unknown"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, r.Arch, humanCount(r.Params), r.Quant, humanBytes(r.SizeBytes), tmpl)
	}
	if len(rows) == 0 {
		fmt.Fprintf(tw, "(no .gguf files in %s)\n", o.Dir)
	}
	return tw.Flush()
}

func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
