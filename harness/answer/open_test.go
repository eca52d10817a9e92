package answer

import (
	"bytes"
	"context"
	"errors"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"polarsbench/harness/prompt"
	"polarsbench/harness/repo"
	"polarsbench/infer"
)

// loadedEngine is a fake model for Open: it remembers how it was loaded, what
// it was asked and whether it was closed.
type loadedEngine struct {
	mu     sync.Mutex
	model  string
	opts   infer.Options
	reqs   []infer.Request
	genErr error
	closed int
}

func (e *loadedEngine) Generate(ctx context.Context, r infer.Request) (infer.Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reqs = append(e.reqs, r)
	return infer.Result{Candidates: []infer.Candidate{{Text: "x", Tokens: 1, Finish: "length"}}}, e.genErr
}
func (e *loadedEngine) Info() infer.ModelInfo { return infer.ModelInfo{Arch: "fake"} }
func (e *loadedEngine) Close() error          { e.closed++; return nil }

func (e *loadedEngine) loader() Loader {
	return func(model string, o infer.Options) (Engine, error) {
		e.model, e.opts = model, o
		return e, nil
	}
}

func workerPython(t *testing.T) string {
	t.Helper()
	py := repo.Python()
	if _, err := os.Stat(py); err != nil {
		t.Skipf("no Python for the workers (make venv): %v", err)
	}
	return py
}

func TestOpenBuildsTheStack(t *testing.T) {
	py := workerPython(t)
	eng := &loadedEngine{}
	var logs bytes.Buffer
	s := DefaultSettings()
	s.K = 3
	st, err := Open(context.Background(), Config{
		Settings: s, Model: "/m.gguf", Load: eng.loader(), Python: py, NoBank: true,
		Engine: infer.Options{ContextSize: 1024, Threads: 2, Parallel: 99},
		Log:    log.New(&logs, "", 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Workers != DefaultWorkers(3) || st.Workers < 2 || st.BankSize != 0 || st.Info.Arch != "fake" {
		t.Errorf("stack: workers %d (want %d), bank %d, info %+v", st.Workers, DefaultWorkers(3), st.BankSize, st.Info)
	}
	// The engine runs K sequences in parallel, whatever the caller put there.
	if eng.model != "/m.gguf" || eng.opts.Parallel != 3 || eng.opts.ContextSize != 1024 || eng.opts.Threads != 2 {
		t.Errorf("loaded %s with %+v", eng.model, eng.opts)
	}
	// One warm-up of the static prompt head: one token, one candidate.
	if len(eng.reqs) != 1 || eng.reqs[0].K != 1 || eng.reqs[0].MaxTokens != 1 || eng.reqs[0].Prefill != prompt.AssistantPrefill {
		t.Errorf("warm-up requests %+v", eng.reqs)
	}
	sv := st.Solver
	if sv.Engine != Generator(eng) || sv.Pool == nil || sv.Bank != nil || sv.Schemas == nil || sv.Settings.K != 3 || sv.Model != "/m.gguf" {
		t.Errorf("solver %+v", sv)
	}
	want := "loading model /m.gguf\nstarting " + strconv.Itoa(st.Workers) + " Polars workers (" + py + ")\n"
	if logs.String() != want {
		t.Errorf("log %q, want %q", logs.String(), want)
	}
	st.Close()
	if eng.closed != 1 {
		t.Errorf("engine closed %d times", eng.closed)
	}
}

func TestOpenReadsTheBank(t *testing.T) {
	if _, err := os.Stat(repo.DevBench()); err != nil {
		t.Skip("no dev bench")
	}
	b, err := LoadBank(nil)
	if err != nil || b.Len() == 0 {
		t.Fatalf("default bank: %v, %d examples", err, b.Len())
	}
	missing := filepath.Join(t.TempDir(), "none.json")
	if _, err := LoadBank([]string{missing}); err == nil || !strings.HasPrefix(err.Error(), "example bank: ") {
		t.Errorf("missing bank file: %v", err)
	}
	// A broken bank stops Open before the model loads.
	eng := &loadedEngine{}
	if _, err := Open(context.Background(), Config{Settings: DefaultSettings(), Load: eng.loader(), BankFiles: []string{missing}}); err == nil || eng.model != "" {
		t.Errorf("Open with a missing bank: %v, loaded %q", err, eng.model)
	}
}

func TestOpenLeavesNothingRunningOnError(t *testing.T) {
	s := DefaultSettings()
	// The loader fails: its error comes back as is.
	boom := errors.New("no such model")
	_, err := Open(context.Background(), Config{Settings: s, NoBank: true,
		Load: func(string, infer.Options) (Engine, error) { return nil, boom }})
	if !errors.Is(err, boom) || err.Error() != boom.Error() {
		t.Errorf("load error: %v", err)
	}
	if _, err := Open(context.Background(), Config{Settings: s, NoBank: true}); err == nil {
		t.Errorf("no loader: no error")
	}

	// The workers do not start: the engine is closed.
	eng := &loadedEngine{}
	_, err = Open(context.Background(), Config{Settings: s, NoBank: true, Load: eng.loader(), Python: filepath.Join(t.TempDir(), "no-python")})
	if err == nil || eng.closed != 1 || len(eng.reqs) != 0 {
		t.Errorf("bad python: %v, engine closed %d times, %d requests", err, eng.closed, len(eng.reqs))
	}

	// The warm-up fails: the error says so, engine and workers are closed.
	py := workerPython(t)
	eng = &loadedEngine{genErr: errors.New("decode failed")}
	_, err = Open(context.Background(), Config{Settings: s, NoBank: true, Load: eng.loader(), Python: py, Workers: 1})
	if err == nil || err.Error() != "warm-up generation: decode failed" || eng.closed != 1 {
		t.Errorf("warm-up error: %v, engine closed %d times", err, eng.closed)
	}
}
