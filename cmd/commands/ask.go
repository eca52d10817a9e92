package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"polarsbench/harness/answer"
	"polarsbench/harness/worker"
)

type askOptions struct {
	IO *IOStreams
	solverFlags
	Tables  []string
	JSON    bool
	Verbose bool
}

func newCmdAsk(ios *IOStreams) *cobra.Command {
	o := &askOptions{IO: ios}
	c := &cobra.Command{
		Use:   `ask "QUESTION" --table NAME=PATH ...`,
		Short: "Answer one question: print the chosen code and its result",
		Example: `  harness ask "Count orders per ship country." --table nw_orders=data/nw_orders.parquet
  harness ask "Top 5 customers by total spend" --table ck_invoices=data/ck_invoices.parquet -v`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return runAsk(c.Context(), o, args[0]) },
	}
	o.solverFlags.add(c)
	c.Flags().StringArrayVar(&o.Tables, "table", nil, "table as NAME=PATH (.parquet or .csv), repeatable")
	c.Flags().BoolVar(&o.JSON, "json", false, "print the log record and result rows as JSON")
	c.Flags().BoolVarP(&o.Verbose, "verbose", "v", false, "show every candidate, its result or error, and the votes")
	return c
}

func runAsk(ctx context.Context, o *askOptions, question string) error {
	out := o.IO.Out
	tables, err := parseTableFlags(o.Tables)
	if err != nil {
		return err
	}
	if len(tables) == 0 {
		return usageError("give at least one --table NAME=PATH")
	}
	st, err := o.solverFlags.open(ctx, log.New(io.Discard, "", 0))
	if err != nil {
		return err
	}
	defer st.Close()
	rec := st.Solver.Solve(ctx, question, tables)
	res, err := st.Pool.Exec(ctx, worker.Job{Tables: tables, Code: rec.Answer})
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"record": rec, "result": res})
	}
	if o.Verbose {
		printCandidates(out, rec)
	}
	fmt.Fprintf(out, "%s\n\n", rec.Answer)
	if !res.OK {
		fmt.Fprintf(out, "error (%s): %s\n", res.ErrorKind, res.Error)
	} else {
		printHead(out, res)
	}
	if rec.Error != "" {
		fmt.Fprintf(o.IO.ErrOut, "note: %s\n", rec.Error)
	}
	fmt.Fprintf(out, "\n%.2fs (prefill %.0f ms, decode %.0f ms, execute %.0f ms)\n",
		rec.TimingsMS.Total/1000, rec.TimingsMS.Prefill, rec.TimingsMS.Decode, rec.TimingsMS.Execute)
	return nil
}

func printCandidates(out io.Writer, rec answer.Record) {
	for i, c := range rec.Candidates {
		mark := " "
		if i == rec.Chosen {
			mark = "*"
		}
		status := fmt.Sprintf("group %d, %d rows x %d cols, hash %s", c.Group, c.Fingerprint.Rows, c.Fingerprint.Cols, c.Fingerprint.Hash)
		if !c.OK {
			status = c.ErrorKind + ": " + firstLine(c.Error)
		}
		fmt.Fprintf(out, "%s candidate %d (logprob %.3f, %d tokens, %s) %s\n", mark, i, c.MeanLogprob, c.Tokens, c.Finish, status)
		fmt.Fprintf(out, "    %s\n", strings.ReplaceAll(c.Code, "\n", "\n    "))
		for j, st := range c.Steps {
			seen := st.Observation
			if !st.OK {
				seen = "failed: " + firstLine(st.Error) + "\n"
			}
			fmt.Fprintf(out, "    step %d: %s\n      %s", j+1, strings.ReplaceAll(st.Code, "\n", "\n      "), strings.ReplaceAll(strings.TrimSuffix(seen, "\n"), "\n", "\n      ")+"\n")
		}
	}
	for g, v := range rec.Votes {
		fmt.Fprintf(out, "  group %d: %d vote(s) %v\n", g, v.Count, v.Members)
	}
	fmt.Fprintln(out)
}

// printHead prints the first rows as an aligned table, columns in result order.
func printHead(out io.Writer, res worker.Outcome) {
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(res.Fingerprint.Columns, "\t"))
	for _, row := range res.Head {
		cells := make([]string, len(res.Fingerprint.Columns))
		for i, col := range res.Fingerprint.Columns {
			cells[i] = fmt.Sprint(row[col])
			if row[col] == nil {
				cells[i] = "null"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
	fmt.Fprintf(out, "(%d rows x %d columns)\n", res.Fingerprint.Rows, res.Fingerprint.Cols)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}
