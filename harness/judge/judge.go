// Package judge judges an answer exactly as the Polars Bench runner does: it writes
// the runner's script around the code, runs it in a fresh interpreter and compares
// fingerprints (hash, shape, ordered columns).
package judge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/fingerprint"
	"polarsbench/harness/proc"
)

// Fingerprint is the result fingerprint (harness/fingerprint), named here
// because the judge is where the runner's comparison lives.
type Fingerprint = fingerprint.Fingerprint

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
func Script(tables []core.TableRef, code string) string {
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

// valuesTrailer follows the runner's script in Run: after the runner's line it
// prints one more line with the names-insensitive fingerprint. It never fails
// (an empty fingerprint instead), so the runner's verdict is unchanged.
var valuesTrailer = fingerprint.Python + `
try:
    _pb_values, _pb_columns = values_fingerprint(result)
except Exception:
    _pb_values, _pb_columns = "", []
print(json.dumps({"values_fingerprint": {"values": _pb_values, "column_values": _pb_columns}}))
`

// ScriptWithValues is Script followed by the values trailer: what Run executes.
func ScriptWithValues(tables []core.TableRef, code string) string {
	return Script(tables, code) + valuesTrailer
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

// valuesLine is the line the values trailer prints.
type valuesLine struct {
	V *struct {
		Values       string   `json:"values"`
		ColumnValues []string `json:"column_values"`
	} `json:"values_fingerprint"`
}

// Run judges code in a fresh interpreter with the runner's script (followed by
// the values trailer, which only adds Values and ColumnValues). Code that fails
// gives Verdict{OK:false}; err is only for problems around it (no interpreter,
// bad table names, ctx done). timeout <= 0 means none, as in the runner.
func Run(ctx context.Context, python string, tables []core.TableRef, code string, timeout time.Duration) (Verdict, error) {
	for _, t := range tables {
		if !identifier.MatchString(t.Name) {
			return Verdict{}, fmt.Errorf("judge: table name %q is not a Python identifier", t.Name)
		}
	}
	out, failure, err := runScript(ctx, python, ScriptWithValues(tables, code), timeout)
	if err != nil || failure != "" {
		return Verdict{Error: failure}, err
	}
	// The code may print before the runner's line; the trailer's line follows it.
	last := lastLine(out)
	var vl valuesLine
	if json.Unmarshal([]byte(last), &vl) == nil && vl.V != nil {
		out = strings.TrimSuffix(strings.TrimRight(out, "\n"), last)
		last = lastLine(out)
	}
	var line runnerLine
	if jerr := json.Unmarshal([]byte(last), &line); jerr != nil {
		return Verdict{Error: "no result line in the output: " + jerr.Error()}, nil
	}
	cols := line.Columns
	if cols == nil {
		cols = []string{}
	}
	fp := Fingerprint{Hash: line.Hash, Rows: line.Shape.Rows, Cols: line.Shape.Cols, Columns: cols}
	if vl.V != nil && vl.V.Values != "" {
		fp.Values, fp.ColumnValues = vl.V.Values, vl.V.ColumnValues
	}
	return Verdict{OK: true, Fingerprint: fp}, nil
}

// maxStdout bounds what is kept of a judged script's stdout: its last lines
// (the runner's line with five rows, the values line) are all that is read.
const maxStdout = 4 << 20

// runScript runs a script in a fresh interpreter. failure is the reason the
// script itself failed (its last stderr line, or the timeout); err is for
// problems around it.
func runScript(ctx context.Context, python, script string, timeout time.Duration) (stdout, failure string, err error) {
	f, err := os.CreateTemp("", "judge-*.py")
	if err != nil {
		return "", "", fmt.Errorf("judge: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(script); err != nil {
		f.Close()
		return "", "", fmt.Errorf("judge: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", "", fmt.Errorf("judge: %w", err)
	}
	out := proc.NewTail(maxStdout)
	runCtx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	// Its own group, killed outright at the timeout or when ctx ends. The
	// output is bounded: the verdict needs only the last lines of stdout.
	p, err := proc.Run(runCtx, proc.Spec{Path: python, Args: []string{f.Name()}, TailBytes: 64 << 10,
		StdoutTo: out, StopSignal: syscall.SIGKILL})
	if ctx.Err() != nil {
		return "", "", ctx.Err()
	}
	if runCtx.Err() != nil {
		return "", fmt.Sprintf("timeout after %s", timeout), nil
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return "", "", fmt.Errorf("judge: starting %s: %w", python, err)
	}
	if err != nil {
		if l := lastLine(p.Tail().String()); l != "" {
			return "", l, nil
		}
		return "", exitErr.Error(), nil
	}
	return out.String(), "", nil
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Contained reports whether the result of big, kept to some of its columns,
// equals the result of small up to column names, column order and row order,
// both run in one fresh interpreter (each code over freshly read tables,
// cells taken as the runner's CSV prints them). The columns of small are
// matched to distinct columns of big with the same column hash (at most 64
// matchings are tried); the two must have the same number of rows and, kept to
// the matched columns, the same multiset of rows: the rows pair up, not only
// the columns. A failure of either code gives false; err is for problems
// around the run.
func Contained(ctx context.Context, python string, tables []core.TableRef, big, small string, timeout time.Duration) (bool, error) {
	var b strings.Builder
	b.WriteString("import hashlib, json\nimport polars as pl\n")
	b.WriteString(fingerprint.Python)
	b.WriteString("\n\ndef _pb_tables():\n    return {\n")
	for _, t := range tables {
		if !identifier.MatchString(t.Name) {
			return false, fmt.Errorf("judge: table name %q is not a Python identifier", t.Name)
		}
		reader := "read_parquet"
		if t.Format == "csv" {
			reader = "read_csv"
		}
		fmt.Fprintf(&b, "        %q: pl.%s(%s),\n", t.Name, reader, pyString(t.Path))
	}
	b.WriteString("    }\n")
	bigJSON, _ := json.Marshal(big)
	smallJSON, _ := json.Marshal(small)
	fmt.Fprintf(&b, `

def _pb_run(code):
    ns = {"pl": pl, "hashlib": hashlib, "json": json, **_pb_tables()}
    exec(compile(code, "<code>", "exec"), ns)
    result = ns["result"]
    if not isinstance(result, pl.DataFrame):
        raise TypeError("result is not a DataFrame")
    return result.select(result.columns)


_pb_small = _pb_run(%s)
_pb_big = _pb_run(%s)
print(json.dumps({"contained": values_contained(_pb_small, _pb_big)}))
`, smallJSON, bigJSON)
	out, failure, err := runScript(ctx, python, b.String(), timeout)
	if err != nil || failure != "" {
		return false, err
	}
	var line struct {
		Contained bool `json:"contained"`
	}
	if jerr := json.Unmarshal([]byte(lastLine(out)), &line); jerr != nil {
		return false, nil
	}
	return line.Contained, nil
}

// Distinct runs code n times in fresh interpreters and returns the distinct
// fingerprints of the runs that succeeded. Some gold answers depend on polars'
// per-process hash seed (group_by order before first(), head() on ties, pivot
// column order): more than one fingerprint means the runner itself cannot
// reproduce the answer, so no candidate can be judged reliably against it.
func Distinct(ctx context.Context, python string, tables []core.TableRef, code string, timeout time.Duration, n int) ([]Fingerprint, error) {
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
