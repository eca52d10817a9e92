// Package judge judges an answer exactly as the Polars Bench runner does: it writes
// the runner's script around the code, runs it in a fresh interpreter and compares
// fingerprints (hash, shape, ordered columns).
package judge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"polarsbench/datasets"
)

// Fingerprint is what the runner compares between an answer and the gold.
type Fingerprint struct {
	Hash    string   `json:"hash"`
	Rows    int      `json:"rows"`
	Cols    int      `json:"cols"`
	Columns []string `json:"columns"`
}

// Equal reports whether f and g agree on hash, shape and the ordered column list.
func (f Fingerprint) Equal(g Fingerprint) bool {
	if f.Hash != g.Hash || f.Rows != g.Rows || f.Cols != g.Cols || len(f.Columns) != len(g.Columns) {
		return false
	}
	for i := range f.Columns {
		if f.Columns[i] != g.Columns[i] {
			return false
		}
	}
	return true
}

// Verdict is the outcome of one judged run.
type Verdict struct {
	OK          bool        `json:"ok"`
	Error       string      `json:"error,omitempty"`
	Fingerprint Fingerprint `json:"fingerprint"`
}

// Match reports whether an answer counts as correct against the gold: both ran
// and their fingerprints are equal.
func Match(answer, gold Verdict) bool {
	return answer.OK && gold.OK && answer.Fingerprint.Equal(gold.Fingerprint)
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// pyString quotes s as a single-quoted Python literal, as the runner's f-string
// does for ordinary paths; quotes and backslashes are escaped so odd paths stay valid.
func pyString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`)
	return "'" + r.Replace(s) + "'"
}

// Script returns the runner's judging script for code over tables.
func Script(tables []datasets.TableRef, code string) string {
	var b strings.Builder
	b.WriteString("import hashlib, json\nimport polars as pl\n")
	for _, t := range tables {
		reader := "read_parquet"
		if t.Format == "csv" {
			reader = "read_csv"
		}
		fmt.Fprintf(&b, "%s = pl.%s(%s)\n", t.Name, reader, pyString(t.Path))
	}
	b.WriteString(code)
	b.WriteString(`
if not isinstance(result, pl.DataFrame):
    raise TypeError(f"result must be a polars DataFrame, got {type(result).__name__}")
result = result.select(result.columns)
if result.columns:
    result = result.sort(result.columns)
csv_text = result.write_csv(file=None)
hash = hashlib.sha256(csv_text.encode()).hexdigest()[:16]
print(json.dumps({"columns": result.columns, "shape": {"rows": result.height, "cols": result.width}, "hash": hash, "rows": result.head(5).to_dicts()}, default=str))
`)
	return b.String()
}

// runnerLine is the JSON line the script prints.
type runnerLine struct {
	Columns []string `json:"columns"`
	Shape   struct {
		Rows int `json:"rows"`
		Cols int `json:"cols"`
	} `json:"shape"`
	Hash string `json:"hash"`
}

// Run judges code in a fresh interpreter. Code that fails gives Verdict{OK:false};
// err is only for problems around it (no interpreter, bad table names, ctx done).
// timeout <= 0 means none, as in the runner.
func Run(ctx context.Context, python string, tables []datasets.TableRef, code string, timeout time.Duration) (Verdict, error) {
	for _, t := range tables {
		if !identifier.MatchString(t.Name) {
			return Verdict{}, fmt.Errorf("judge: table name %q is not a Python identifier", t.Name)
		}
	}
	f, err := os.CreateTemp("", "judge-*.py")
	if err != nil {
		return Verdict{}, fmt.Errorf("judge: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(Script(tables, code)); err != nil {
		f.Close()
		return Verdict{}, fmt.Errorf("judge: %w", err)
	}
	if err := f.Close(); err != nil {
		return Verdict{}, fmt.Errorf("judge: %w", err)
	}
	runCtx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(runCtx, python, f.Name())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		return Verdict{}, ctx.Err()
	}
	if runCtx.Err() != nil {
		return Verdict{Error: fmt.Sprintf("timeout after %s", timeout)}, nil
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return Verdict{}, fmt.Errorf("judge: starting %s: %w", python, err)
	}
	if err != nil {
		return Verdict{Error: lastLine(stderr.String())}, nil
	}
	// The code may print before the runner's line: the fingerprint is the last line.
	var line runnerLine
	if jerr := json.Unmarshal([]byte(lastLine(stdout.String())), &line); jerr != nil {
		return Verdict{Error: "no result line in the output: " + jerr.Error()}, nil
	}
	cols := line.Columns
	if cols == nil {
		cols = []string{}
	}
	return Verdict{OK: true, Fingerprint: Fingerprint{Hash: line.Hash, Rows: line.Shape.Rows, Cols: line.Shape.Cols, Columns: cols}}, nil
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Distinct runs code n times in fresh interpreters and returns the distinct
// fingerprints of the runs that succeeded. Some gold answers depend on polars'
// per-process hash seed (group_by order before first(), head() on ties, pivot
// column order): more than one fingerprint means the runner itself cannot
// reproduce the answer, so no candidate can be judged reliably against it.
func Distinct(ctx context.Context, python string, tables []datasets.TableRef, code string, timeout time.Duration, n int) ([]Fingerprint, error) {
	var seen []Fingerprint
	for i := 0; i < n; i++ {
		v, err := Run(ctx, python, tables, code, timeout)
		if err != nil {
			return nil, err
		}
		if !v.OK {
			continue
		}
		known := false
		for _, f := range seen {
			known = known || f.Equal(v.Fingerprint)
		}
		if !known {
			seen = append(seen, v.Fingerprint)
		}
	}
	return seen, nil
}
