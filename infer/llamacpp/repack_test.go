package llamacpp

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"polarsbench/harness/repo"
	"polarsbench/infer"
)

// The fast CPU path: ggml's repack buffer type must be compiled in (the
// Makefile's -DGGML_USE_CPU_REPACK) and llama.cpp must put the model's Q4
// matrices in it at load. Without it the interleaved Q4_0/Q4_K kernels stay
// unused and prompt speed drops by about 40%.
const repackHint = "build with the Makefile's CGO_CPPFLAGS (-DGGML_USE_CPU_REPACK): make t PKG=./infer/..."

func TestRepackBufferTypeRegistered(t *testing.T) {
	got := CPUExtraBufferTypes()
	if !slices.Contains(got, "CPU_REPACK") {
		t.Fatalf("CPU extra buffer types %q lack CPU_REPACK; %s", got, repackHint)
	}
}

// A Q4_0 model with rows a multiple of 8 has every matrix repacked (AVX2), so
// this holds without any downloaded model.
func TestRepackInUseTinyQ4_0(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the repack kernels checked here are the x86-64 AVX2 ones")
	}
	q := filepath.Join(t.TempDir(), "tiny-q4_0.gguf")
	if err := Quantize(tinyModel(t), q, "q4_0"); err != nil {
		t.Fatal(err)
	}
	e, err := Load(q, infer.Options{Threads: 2, ContextSize: 256, Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	bufs := e.WeightBuffers()
	if bufs["CPU_REPACK"] <= 0 {
		t.Fatalf("weights by buffer type %v: nothing in CPU_REPACK; %s", bufs, repackHint)
	}
	if _, err := e.Generate(context.Background(), infer.Request{Messages: ask("x"), MaxTokens: 4}); err != nil {
		t.Fatal(err)
	}
}

func TestRepackInUseQwen(t *testing.T) {
	p := repo.Model(repo.DefaultModelFile)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("Qwen not on disk (%s); run make models", p)
	}
	e, err := Load(p, infer.Options{Threads: 2, ContextSize: 256, Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	bufs := e.WeightBuffers()
	// Q4_K_M: the Q4_K matrices (about 56% of the file) are repacked; the Q6_K
	// ones and the embedding table stay in the mapped buffer (which spans the file).
	file := float64(e.Info().SizeBytes) / (1 << 20)
	if rp := bufs["CPU_REPACK"]; rp < 0.4*file {
		t.Fatalf("weights by buffer type (MiB) %v: CPU_REPACK holds %.0f MiB of a %.0f MiB file, want at least 40%%; %s", bufs, rp, file, repackHint)
	}
	t.Logf("weights by buffer type (MiB): %v", bufs)
}
