package llamacpp

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"polarsbench/infer"
)

func TestQuantizeQ8(t *testing.T) {
	in := tinyModel(t)
	out := filepath.Join(t.TempDir(), "tiny-q8.gguf")
	if err := Quantize(in, out, "q8_0"); err != nil {
		t.Fatal(err)
	}
	info, err := infer.Inspect(out)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := infer.Inspect(in)
	if info.Quant != "Q8_0" || info.Params != orig.Params || info.SizeBytes >= orig.SizeBytes {
		t.Errorf("quantized %+v from %+v", info, orig)
	}
	e, err := Load(out, infer.Options{Threads: 2, ContextSize: 256, Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Generate(context.Background(), infer.Request{Messages: ask("x"), MaxTokens: 4}); err != nil {
		t.Fatal(err)
	}
	// K-quants need 256-wide rows; llama.cpp falls back per tensor on the tiny model.
	outK := filepath.Join(t.TempDir(), "tiny-q4km.gguf")
	if err := Quantize(in, outK, "q4_k_m"); err != nil {
		t.Fatal(err)
	}
	if info, err := infer.Inspect(outK); err != nil || info.Quant != "Q4_K_M" {
		t.Errorf("q4_k_m output %+v (%v)", info, err)
	}
	if err := Quantize(in, out, "q3_x"); err == nil {
		t.Error("unknown type accepted")
	}
	if err := Quantize(filepath.Join(t.TempDir(), "missing.gguf"), out, "q8_0"); err == nil {
		t.Error("missing input accepted")
	}
}

// TestQuantizeQuiet: with INFO logs hidden (SetVerbose(false), as every verb
// starts), quantizing prints nothing on stderr, not even the per-tensor
// fallback warnings the tiny model causes; with them shown, it prints its log.
func TestQuantizeQuiet(t *testing.T) {
	in := tinyModel(t)
	quantize := func() string {
		out := filepath.Join(t.TempDir(), "tiny-q4km.gguf")
		var err error
		printed := captureStderr(t, func() { err = Quantize(in, out, "q4_k_m") })
		if err != nil {
			t.Fatal(err)
		}
		return printed
	}
	SetVerbose(false)
	if printed := quantize(); printed != "" {
		t.Errorf("quiet quantize printed %d bytes: %.200q", len(printed), printed)
	}
	SetVerbose(true)
	defer SetVerbose(false)
	if printed := quantize(); !strings.Contains(printed, "llama_model_quantize") {
		t.Errorf("verbose quantize printed no log: %.200q", printed)
	}
	if got := lastLines("a\n\nb\nc\n", 2); got != "b | c" {
		t.Errorf("lastLines = %q", got)
	}
}

// captureStderr returns what fn writes to file descriptor 2 (C code included).
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	if err := syscall.Dup2(int(w.Fd()), 2); err != nil {
		t.Fatal(err)
	}
	fn()
	syscall.Dup2(saved, 2)
	syscall.Close(saved)
	w.Close()
	return <-done
}
