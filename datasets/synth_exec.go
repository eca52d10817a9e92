package datasets

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"polarsbench/datasets/core"
	"polarsbench/harness/fingerprint"
	"polarsbench/harness/proc"
)

//go:embed synth_helper.py
var helperSource string

// helperScript is the helper with the fingerprint's code put in at its
// marker (harness/fingerprint: one source for the helper, the worker and the judge).
var helperScript = fingerprint.Splice(helperSource)

// ExecResult is what running one gold answer gives under the runner's judging:
// the fingerprint (hash of the sorted CSV, shape, ordered columns) or the error.
type ExecResult struct {
	OK        bool   `json:"ok"`
	ErrorKind string `json:"error_kind,omitempty"`
	Error     string `json:"error,omitempty"`
	fingerprint.Fingerprint
}

// Executor runs code over tables the way the runner does. The synthesiser
// takes it as an interface so the project's worker pool can stand in for the
// batched helper below (datasets cannot import harness/worker: it imports us).
type Executor interface {
	Exec(ctx context.Context, tables []core.TableRef, code string) (ExecResult, error)
}

// helper is one long-lived Python process speaking JSON lines (synth_helper.py).
type helper struct {
	p      *proc.Process
	stdin  io.WriteCloser
	stdout *bufio.Reader
}

// writeHelperScript puts the embedded script in a temporary folder; the caller removes it.
func writeHelperScript() (dir, path string, err error) {
	dir, err = os.MkdirTemp("", "synth-helper-")
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "synth_helper.py")
	if err := os.WriteFile(path, []byte(helperScript), 0o644); err != nil {
		os.RemoveAll(dir)
		return "", "", err
	}
	return dir, path, nil
}

func startHelper(python, script string) (*helper, error) {
	// One Polars thread per helper: helpers run side by side on a small machine.
	p, err := proc.Start(context.Background(), proc.Spec{Path: python, Args: []string{script},
		Env: []string{"POLARS_MAX_THREADS=1", "PYTHONUNBUFFERED=1"}, Stdin: true, Stdout: true})
	if err != nil {
		return nil, fmt.Errorf("start python helper %s: %w", python, err)
	}
	return &helper{p: p, stdin: p.Stdin(), stdout: bufio.NewReaderSize(p.Stdout(), 1<<20)}, nil
}

// call sends one request and decodes the answer into out.
func (h *helper) call(req, out any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := h.stdin.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("python helper: %w (stderr: %s)", err, tail(h.p.Tail().String()))
	}
	line, err := h.stdout.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("python helper died: %w (stderr: %s)", err, tail(h.p.Tail().String()))
	}
	var fatal struct {
		Fatal string `json:"fatal"`
	}
	if json.Unmarshal(line, &fatal) == nil && fatal.Fatal != "" {
		return errors.New("python helper: " + fatal.Fatal)
	}
	return json.Unmarshal(line, out)
}

func (h *helper) close() {
	h.stdin.Close()
	_ = h.p.Wait()
	h.p.Kill() // anything left in its group, and the pipes
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[len(s)-300:]
	}
	return s
}

// PyExecutor is the built-in Executor: n helper processes, each keeping its
// tables loaded, so thousands of gold answers run in minutes.
type PyExecutor struct {
	dir     string
	free    chan *helper
	all     []*helper
	timeout int
}

// NewPyExecutor starts n helpers with the given Python (one with polars).
func NewPyExecutor(python string, n int) (*PyExecutor, error) {
	if n < 1 {
		n = 1
	}
	dir, script, err := writeHelperScript()
	if err != nil {
		return nil, err
	}
	e := &PyExecutor{dir: dir, free: make(chan *helper, n), timeout: 20}
	for i := 0; i < n; i++ {
		h, err := startHelper(python, script)
		if err != nil {
			e.Close()
			return nil, err
		}
		e.all = append(e.all, h)
		e.free <- h
	}
	return e, nil
}

// Exec runs code once and fingerprints its result.
func (e *PyExecutor) Exec(ctx context.Context, tables []core.TableRef, code string) (ExecResult, error) {
	var h *helper
	select {
	case <-ctx.Done():
		return ExecResult{}, ctx.Err()
	case h = <-e.free:
	}
	defer func() { e.free <- h }()
	var out ExecResult
	err := h.call(map[string]any{"op": "exec", "tables": tables, "code": code, "timeout": e.timeout}, &out)
	return out, err
}

// call runs a non-exec request (profile, write) on any free helper.
func (e *PyExecutor) call(req, out any) error {
	h := <-e.free
	defer func() { e.free <- h }()
	return h.call(req, out)
}

// Close stops the helpers and removes the script; safe to call twice.
func (e *PyExecutor) Close() {
	for _, h := range e.all {
		h.close()
	}
	e.all = nil
	if e.dir != "" {
		os.RemoveAll(e.dir)
		e.dir = ""
	}
}
