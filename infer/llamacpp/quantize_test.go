package llamacpp

import (
	"context"
	"path/filepath"
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
