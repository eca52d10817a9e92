package llamacpp

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"polarsbench/harness/repo"
	"polarsbench/infer"
	"polarsbench/infer/ggufwrite"
)

// tinyModel writes a fresh tiny random-weight model into a test temp dir.
func tinyModel(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := ggufwrite.WriteTiny(p, ggufwrite.DefaultTiny); err != nil {
		t.Fatal(err)
	}
	return p
}

func smolModel(t testing.TB) string {
	p := repo.Model(repo.SmolModelFile)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("SmolLM2 not on disk (%s); run make models", p)
	}
	return p
}

func TestInspectTiny(t *testing.T) {
	p := tinyModel(t)
	info, err := infer.Inspect(p)
	if err != nil {
		t.Fatal(err)
	}
	d := ggufwrite.DefaultTiny
	vocab := int64(261)
	kvw := int64(d.Embd / d.Heads * d.KVHeads)
	e, ff := int64(d.Embd), int64(d.FF)
	params := 2*e*vocab + e + int64(d.Layers)*(2*e+2*e*e+2*e*kvw+3*e*ff)
	st, _ := os.Stat(p)
	want := infer.ModelInfo{Path: p, Name: "tiny-random-llama", Arch: "llama", Quant: "F32", Template: "chatml", Params: params, SizeBytes: st.Size(), ContextLength: d.Context}
	if info != want {
		t.Errorf("Inspect =\n %+v\nwant\n %+v", info, want)
	}
}

func TestInspectSmol(t *testing.T) {
	info, err := infer.Inspect(smolModel(t))
	if err != nil {
		t.Fatal(err)
	}
	if info.Arch != "llama" || info.Template != "smollm" || info.Quant != "Q4_1" || info.Params < 100e6 || info.Params > 200e6 {
		t.Errorf("Inspect(smol) = %+v", info)
	}
}

// TestBadFiles: every malformed file is an error from infer.Inspect and Load; none
// may reach llama.cpp, which would abort the test process.
func TestBadFiles(t *testing.T) {
	good, err := os.ReadFile(tinyModel(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	patch := func(off int, b []byte) []byte {
		c := append([]byte{}, good...)
		copy(c[off:], b)
		return c
	}
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	cases := map[string][]byte{
		"empty":          {},
		"not-gguf":       []byte("this is a text file, not a model\n"),
		"header-only":    good[:10],
		"truncated-meta": good[:len(good)/50],
		"bad-version":    patch(4, []byte{9, 0, 0, 0}),
		"corrupt-key":    patch(24, huge), // the first key's length runs past EOF
		"bad-type":       patch(24+8+len("general.architecture"), []byte{99, 0, 0, 0}),
		"data-past-eof":  good[:len(good)-100], // tensor infos intact, last tensor cut
		"many-tensors":   patch(8, huge),
	}
	paths := map[string]string{"missing": filepath.Join(dir, "nope.gguf"), "directory": dir}
	for name, b := range cases {
		p := filepath.Join(dir, name+".gguf")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	for name, p := range paths {
		if _, err := infer.Inspect(p); err == nil {
			t.Errorf("%s: infer.Inspect accepted it", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", name, err)
		}
		if e, err := Load(p, infer.Options{Threads: 1}); err == nil {
			e.Close()
			t.Errorf("%s: Load accepted it", name)
		}
	}
	if _, err := infer.Inspect(paths["data-past-eof"]); err == nil || !strings.Contains(err.Error(), "past the end") {
		t.Errorf("data-past-eof: want a past-the-end error, got %v", err)
	}
}
