package commands

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
	"polarsbench/harness/worker"
)

// ExecOptions are the flags of `harness exec`.
type ExecOptions struct {
	IO      *IOStreams
	Tables  []string
	Code    string
	JSON    bool
	Python  string
	Timeout time.Duration
}

func newCmdExec(ios *IOStreams) *cobra.Command {
	o := &ExecOptions{IO: ios}
	c := &cobra.Command{
		Use:   "exec --table NAME=PATH ... --code CODE|@FILE",
		Short: "Run Polars code in a worker and print its fingerprint and first rows",
		Long: "Runs the code as the judge would (tables bound to their names, the result in `result`)\n" +
			"and prints the runner's fingerprint and the names-insensitive one (values). Exit 0 when it ran, 1 for a classified failure, 2 for bad usage.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runExec(c, o) },
	}
	c.Flags().StringArrayVar(&o.Tables, "table", nil, "table as NAME=PATH (.parquet or .csv); repeat for more")
	c.Flags().StringVar(&o.Code, "code", "", "the code, or @FILE to read it from a file")
	c.Flags().BoolVar(&o.JSON, "json", false, "print one JSON object")
	addPolarsPython(c.Flags(), &o.Python)
	c.Flags().DurationVar(&o.Timeout, "timeout", 10*time.Second, "time limit for the code")
	return c
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// execResult is the JSON `harness exec --json` prints: the fingerprint holds
// the runner's (hash, rows, cols, columns) and the names-insensitive one
// (values, column_values).
type execResult struct {
	OK          bool              `json:"ok"`
	ErrorKind   string            `json:"error_kind,omitempty"`
	Error       string            `json:"error,omitempty"`
	Fingerprint judge.Fingerprint `json:"fingerprint"`
	Head        []map[string]any  `json:"head"`
	Stdout      string            `json:"stdout,omitempty"`
	ElapsedMS   float64           `json:"elapsed_ms"`
}

func runExec(c *cobra.Command, o *ExecOptions) error {
	if o.Code == "" {
		return usageError("exec: --code is required")
	}
	code := o.Code
	if strings.HasPrefix(code, "@") {
		b, err := os.ReadFile(code[1:])
		if err != nil {
			return usageError("exec: --code %s: %v", code, err)
		}
		code = string(b)
	}
	tables, err := parseTableFlags(o.Tables)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if !core.IsIdentifier(t.Name) {
			return usageError("exec: table name %q is not a Python identifier", t.Name)
		}
		if _, err := os.Stat(t.Path); err != nil {
			return usageError("exec: table %s: %v", t.Name, err)
		}
	}
	py := polarsPython(o.Python)
	pool, err := worker.NewPool(c.Context(), worker.Options{Python: py, Workers: 1, Timeout: o.Timeout})
	if err != nil {
		return err
	}
	defer pool.Close()
	out, err := pool.Exec(c.Context(), worker.Job{Tables: tables, Code: code})
	if err != nil {
		return err
	}
	res := execResult{OK: out.OK, ErrorKind: out.ErrorKind, Error: out.Error, Fingerprint: out.Fingerprint,
		Head: out.Head, Stdout: out.Stdout, ElapsedMS: float64(out.Elapsed.Microseconds()) / 1000}
	if res.Head == nil {
		res.Head = []map[string]any{}
	}
	w := o.IO.Out
	if o.JSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if out.OK {
		fp := out.Fingerprint
		fmt.Fprintf(w, "ok  hash %s  values %s  %d rows x %d cols  [%s]  %.1f ms\n", fp.Hash, orNone(fp.Values), fp.Rows, fp.Cols, strings.Join(fp.Columns, ", "), res.ElapsedMS)
		// Rows in the result's column order (a map would sort the keys).
		for _, row := range out.Head {
			cells := make([]string, len(fp.Columns))
			for i, col := range fp.Columns {
				b, _ := json.Marshal(row[col])
				cells[i] = string(b)
			}
			fmt.Fprintln(w, strings.Join(cells, "\t"))
		}
		if out.Stdout != "" {
			fmt.Fprintf(w, "stdout:\n%s", out.Stdout)
		}
	}
	if !out.OK {
		// Exit 1 with the classified reason on stderr (the JSON, if asked, is on stdout).
		return fmt.Errorf("%s: %s", out.ErrorKind, out.Error)
	}
	return nil
}
