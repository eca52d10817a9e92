package commands

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"polarsbench/infer"
	"polarsbench/infer/ggufwrite"
	"polarsbench/infer/llamacpp"
)

// execute runs the command tree with args over test streams and returns what
// it printed (stdout and stderr together) and the error.
func execute(args ...string) (string, error) {
	out := &syncBuffer{} // serve logs from more than one goroutine
	root := NewRoot(&IOStreams{In: strings.NewReader(""), Out: out, ErrOut: out})
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// runInferCmd executes the command tree with args and returns its output and the error.
func runInferCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return execute(args...)
}

func inferExitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code
	}
	return 1
}

func inferTinyGGUF(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "tiny.gguf")
	if err := ggufwrite.WriteTiny(p, ggufwrite.DefaultTiny); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInferCommandsUsage(t *testing.T) {
	m := inferTinyGGUF(t)
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"generate", "--model", m}, 2},                              // no prompt
		{[]string{"generate", "--model", m, "--prompt", "x", "--k", "0"}, 2}, // bad k
		{[]string{"generate", "--model", m, "--prompt", "x", "--top-p", "2"}, 2},
		{[]string{"generate", "--model", m, "--prompt", "x", "--k", "x"}, 2}, // flag parse error
		{[]string{"generate", "--model", "/nonexistent.gguf", "--prompt", "x"}, 1},
		{[]string{"quantize", m}, 2},
		{[]string{"quantize", m, m + ".out", "--type", "q2"}, 2},
		{[]string{"bench"}, 2},
		{[]string{"models", "--dir", "/nonexistent"}, 1},
	}
	for _, c := range cases {
		_, err := runInferCmd(t, c.args...)
		if got := inferExitCode(err); got != c.code {
			t.Errorf("%v: exit %d (%v), want %d", c.args, got, err, c.code)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error not one line: %q", c.args, err)
		}
	}
}

func TestGenerateJSON(t *testing.T) {
	llamacpp.SetVerbose(false)
	out, err := runInferCmd(t, "generate", "--model", inferTinyGGUF(t), "--prompt", "hi", "--k", "2", "--max-tokens", "5", "--threads", "2", "--ctx", "256", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil || len(raw) != 2 || raw["candidates"] == nil || raw["timing"] == nil {
		t.Fatalf("want exactly candidates and timing, got %q (%v)", out, err)
	}
	var res infer.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Candidates) != 2 || res.Timing.PromptTokens == 0 {
		t.Errorf("result %+v (%v)", res, err)
	}
}

func TestModelsTable(t *testing.T) {
	m := inferTinyGGUF(t)
	dir := filepath.Dir(m)
	if err := os.WriteFile(filepath.Join(dir, "broken.gguf"), []byte("nope"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runInferCmd(t, "models", "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FILE", "tiny.gguf", "llama", "F32", "chatml", "broken.gguf", "invalid"} {
		if !strings.Contains(out, want) {
			t.Errorf("models output lacks %q:\n%s", want, out)
		}
	}
}
