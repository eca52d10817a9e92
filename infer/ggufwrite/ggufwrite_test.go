package ggufwrite

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteLayout(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.gguf")
	err := Write(p, []KV{{"general.architecture", "llama"}, {"n", uint32(7)}},
		[]Tensor{{"a", []uint64{3}, []float32{1, 2, 3}}, {"b", []uint64{2, 2}, []float32{4, 5, 6, 7}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if string(b[:4]) != "GGUF" || le.Uint32(b[4:]) != 3 || le.Uint64(b[8:]) != 2 || le.Uint64(b[16:]) != 2 {
		t.Fatalf("header % x", b[:24])
	}
	// Data: tensor a (12 bytes padded to 32), then tensor b (16 bytes padded to 32).
	if len(b)%32 != 0 {
		t.Errorf("file size %d not aligned", len(b))
	}
	data := b[len(b)-64:]
	if le.Uint32(data[0:]) != 0x3f800000 || le.Uint32(data[32:]) != 0x40800000 {
		t.Errorf("tensor data misplaced: % x", data)
	}
}

func TestWriteRejects(t *testing.T) {
	dir := t.TempDir()
	if err := Write(filepath.Join(dir, "a"), nil, []Tensor{{"x", []uint64{4}, []float32{1}}}); err == nil {
		t.Error("dims/data mismatch accepted")
	}
	if err := Write(filepath.Join(dir, "b"), []KV{{"k", 3.5}}, nil); err == nil {
		t.Error("float64 value accepted")
	}
	if err := WriteTiny(filepath.Join(dir, "c"), Tiny{Embd: 10, Heads: 3, KVHeads: 1}); err == nil {
		t.Error("bad head count accepted")
	}
}
