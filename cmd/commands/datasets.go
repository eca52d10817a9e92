package commands

import (
	"fmt"

	"github.com/spf13/cobra"

	"polarsbench/datasets/tables"
	"polarsbench/harness/repo"
)

func newCmdDatasets(ios *IOStreams) *cobra.Command {
	return newGroup("datasets", "Build tables and task sets", "datasets: name a subcommand (see harness datasets --help)",
		newCmdDatasetsTables(ios), newCmdDatasetsSynth(ios), newCmdDatasetsExport(ios))
}

// DatasetsTablesOptions are the flags of `harness datasets tables`.
type DatasetsTablesOptions struct {
	Src, Out, Python string
}

func newCmdDatasetsTables(ios *IOStreams) *cobra.Command {
	o := &DatasetsTablesOptions{}
	c := &cobra.Command{
		Use:   "tables",
		Short: "Build the parquet tables from the gzip JSON-lines sources, as the organisers did",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := tables.Build(o.Src, o.Out, polarsPython(o.Python)); err != nil {
				return err
			}
			fmt.Fprintf(ios.Out, "tables in %s are up to date\n", o.Out)
			return nil
		},
	}
	c.Flags().StringVar(&o.Src, "src", repo.TableSources(), "folder of *.jsonl.gz table sources")
	c.Flags().StringVar(&o.Out, "out", repo.DataDir(), "folder for the .parquet files")
	addPolarsPython(c.Flags(), &o.Python)
	return c
}
