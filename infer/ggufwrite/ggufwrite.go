// Package ggufwrite writes small GGUF files: tiny random-weight llama models
// that llama.cpp loads in milliseconds, so engine tests need no downloaded model,
// and arbitrary metadata/tensor layouts for testing file validation.
package ggufwrite

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"os"
)

// KV is one metadata entry. Value is one of: string, uint32, int32, uint64,
// float32, bool, []string, []float32, []int32.
type KV struct {
	Key   string
	Value any
}

// Tensor is an F32 tensor; Dims are ggml order (ne[0] first, the row length).
type Tensor struct {
	Name string
	Dims []uint64
	Data []float32
}

const align = 32

// Write writes a GGUF v3 file.
func Write(path string, kvs []KV, tensors []Tensor) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := &writer{w: bufio.NewWriter(f)}
	w.raw([]byte("GGUF"))
	w.le(uint32(3))
	w.le(uint64(len(tensors)))
	w.le(uint64(len(kvs)))
	for _, kv := range kvs {
		w.str(kv.Key)
		if err := w.value(kv.Value); err != nil {
			return fmt.Errorf("key %s: %w", kv.Key, err)
		}
	}
	var off uint64
	for _, t := range tensors {
		n := uint64(1)
		for _, d := range t.Dims {
			n *= d
		}
		if n != uint64(len(t.Data)) {
			return fmt.Errorf("tensor %s: dims hold %d values, data has %d", t.Name, n, len(t.Data))
		}
		w.str(t.Name)
		w.le(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			w.le(d)
		}
		w.le(uint32(0)) // GGML_TYPE_F32
		w.le(off)
		off += pad(uint64(4 * len(t.Data)))
	}
	w.zeros(pad(w.n) - w.n)
	for _, t := range tensors {
		w.le(t.Data)
		w.zeros(pad(uint64(4*len(t.Data))) - uint64(4*len(t.Data)))
	}
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}

func pad(n uint64) uint64 { return (n + align - 1) / align * align }

type writer struct {
	w   *bufio.Writer
	n   uint64
	err error
}

func (w *writer) raw(b []byte) {
	if w.err == nil {
		_, w.err = w.w.Write(b)
		w.n += uint64(len(b))
	}
}

func (w *writer) le(v any) {
	if w.err == nil {
		w.err = binary.Write(w.w, binary.LittleEndian, v)
		w.n += uint64(binary.Size(v))
	}
}

func (w *writer) zeros(n uint64) { w.raw(make([]byte, n)) }

func (w *writer) str(s string) {
	w.le(uint64(len(s)))
	w.raw([]byte(s))
}

// GGUF metadata value types.
const (
	typeUint32  uint32 = 4
	typeInt32   uint32 = 5
	typeFloat32 uint32 = 6
	typeBool    uint32 = 7
	typeString  uint32 = 8
	typeArray   uint32 = 9
	typeUint64  uint32 = 10
)

// scalarType is the GGUF type of a fixed-size scalar value, 0 for any other value.
func scalarType(v any) uint32 {
	switch v.(type) {
	case uint32:
		return typeUint32
	case int32:
		return typeInt32
	case float32:
		return typeFloat32
	case bool:
		return typeBool
	case uint64:
		return typeUint64
	}
	return 0
}

func (w *writer) value(v any) error {
	if t := scalarType(v); t != 0 {
		w.le(t)
		w.le(v)
		return nil
	}
	switch x := v.(type) {
	case string:
		w.le(typeString)
		w.str(x)
	case []string:
		w.array(typeString, len(x))
		for _, s := range x {
			w.str(s)
		}
	case []float32:
		w.array(typeFloat32, len(x))
		w.le(x)
	case []int32:
		w.array(typeInt32, len(x))
		w.le(x)
	default:
		return fmt.Errorf("unsupported value type %T", v)
	}
	return nil
}

// array writes an array value's header; its n elements follow.
func (w *writer) array(elem uint32, n int) {
	w.le(typeArray)
	w.le(elem)
	w.le(uint64(n))
}

// ChatMLTemplate is the chat template text written into tiny models; the
// engine detects it as "chatml".
const ChatMLTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

// Tiny is the shape of a random-weight llama model.
type Tiny struct {
	Embd, Layers, Heads, KVHeads, FF, Context int
	Seed                                      int64
}

// DefaultTiny is about 500 KB on disk: 64-wide, 2 layers, a 261-token byte vocabulary.
var DefaultTiny = Tiny{Embd: 64, Layers: 2, Heads: 4, KVHeads: 2, FF: 128, Context: 4096, Seed: 1}

// Special token ids of the tiny vocabulary; bytes follow as <0x00>..<0xFF>.
const (
	TokUnk      = 0
	TokBOS      = 1
	TokEOS      = 2
	TokImStart  = 3
	TokImEnd    = 4
	firstByteID = 5
)

// TinyVocab returns the tokens, scores and token types of the tiny SentencePiece
// vocabulary: five specials, then one byte-fallback token per byte value.
func TinyVocab() ([]string, []float32, []int32) {
	toks := []string{"<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"}
	types := []int32{2, 3, 3, 3, 3} // UNKNOWN, CONTROL...
	for b := 0; b < 256; b++ {
		toks = append(toks, fmt.Sprintf("<0x%02X>", b))
		types = append(types, 6) // BYTE
	}
	return toks, make([]float32, len(toks)), types
}

// WriteTiny writes a random-weight llama-architecture model with a ChatML template.
func WriteTiny(path string, t Tiny) error {
	if t.Embd%t.Heads != 0 || t.Heads%t.KVHeads != 0 {
		return fmt.Errorf("tiny model: heads must divide embd and kv heads must divide heads")
	}
	toks, scores, types := TinyVocab()
	nv := uint64(len(toks))
	kvs := []KV{
		{"general.architecture", "llama"},
		{"general.name", "tiny-random-llama"},
		{"general.alignment", uint32(align)},
		{"general.file_type", uint32(0)},
		{"llama.context_length", uint32(t.Context)},
		{"llama.embedding_length", uint32(t.Embd)},
		{"llama.block_count", uint32(t.Layers)},
		{"llama.feed_forward_length", uint32(t.FF)},
		{"llama.attention.head_count", uint32(t.Heads)},
		{"llama.attention.head_count_kv", uint32(t.KVHeads)},
		{"llama.attention.layer_norm_rms_epsilon", float32(1e-5)},
		{"llama.rope.dimension_count", uint32(t.Embd / t.Heads)},
		{"llama.vocab_size", uint32(nv)},
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.tokens", toks},
		{"tokenizer.ggml.scores", scores},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.bos_token_id", uint32(TokBOS)},
		{"tokenizer.ggml.eos_token_id", uint32(TokImEnd)},
		{"tokenizer.ggml.unknown_token_id", uint32(TokUnk)},
		{"tokenizer.ggml.add_bos_token", false},
		{"tokenizer.ggml.add_space_prefix", false},
		{"tokenizer.chat_template", ChatMLTemplate},
	}
	rng := rand.New(rand.NewSource(t.Seed))
	e, ff := uint64(t.Embd), uint64(t.FF)
	kvw := e / uint64(t.Heads) * uint64(t.KVHeads)
	random := func(name string, dims ...uint64) Tensor {
		n := uint64(1)
		for _, d := range dims {
			n *= d
		}
		data := make([]float32, n)
		scale := float32(1 / math.Sqrt(float64(dims[0])))
		for i := range data {
			data[i] = float32(rng.NormFloat64()) * scale * 2
		}
		return Tensor{name, dims, data}
	}
	ones := func(name string, n uint64) Tensor {
		data := make([]float32, n)
		for i := range data {
			data[i] = 1
		}
		return Tensor{name, []uint64{n}, data}
	}
	tensors := []Tensor{random("token_embd.weight", e, nv), ones("output_norm.weight", e), random("output.weight", e, nv)}
	for l := 0; l < t.Layers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		tensors = append(tensors,
			ones(p+"attn_norm.weight", e),
			random(p+"attn_q.weight", e, e),
			random(p+"attn_k.weight", e, kvw),
			random(p+"attn_v.weight", e, kvw),
			random(p+"attn_output.weight", e, e),
			ones(p+"ffn_norm.weight", e),
			random(p+"ffn_gate.weight", e, ff),
			random(p+"ffn_up.weight", e, ff),
			random(p+"ffn_down.weight", ff, e),
		)
	}
	return Write(path, kvs, tensors)
}
