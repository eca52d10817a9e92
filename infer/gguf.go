package infer

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ModelInfo describes a GGUF model file, read without llama.cpp.
type ModelInfo struct {
	Path          string `json:"path"`
	Name          string `json:"name"`
	Arch          string `json:"arch"`
	Quant         string `json:"quant"`
	Template      string `json:"template"` // RenderChat template name; "" when not recognised
	Params        int64  `json:"params"`
	SizeBytes     int64  `json:"size_bytes"`
	ContextLength int    `json:"context_length"`
}

// GGUF value types (gguf.h).
const (
	gU8 = iota
	gI8
	gU16
	gI16
	gU32
	gI32
	gF32
	gBool
	gString
	gArray
	gU64
	gI64
	gF64
)

// ggmlTypes maps a ggml tensor type to {block size, bytes per block} (ggml.c type_traits).
var ggmlTypes = map[uint32][2]int64{
	0: {1, 4}, 1: {1, 2}, 2: {32, 18}, 3: {32, 20}, 6: {32, 22}, 7: {32, 24}, 8: {32, 34}, 9: {32, 36},
	10: {256, 84}, 11: {256, 110}, 12: {256, 144}, 13: {256, 176}, 14: {256, 210}, 15: {256, 292},
	16: {256, 66}, 17: {256, 74}, 18: {256, 98}, 19: {256, 50}, 20: {32, 18}, 21: {256, 110},
	22: {256, 82}, 23: {256, 136}, 24: {1, 1}, 25: {1, 2}, 26: {1, 4}, 27: {1, 8}, 28: {1, 8},
	29: {256, 56}, 30: {1, 2}, 34: {256, 54}, 35: {256, 66}, 39: {32, 17},
}

var ggmlTypeNames = map[uint32]string{
	0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 10: "Q2_K", 11: "Q3_K",
	12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 20: "IQ4_NL", 23: "IQ4_XS", 30: "BF16",
}

// fileTypeNames maps general.file_type (enum llama_ftype) to a quantisation name.
var fileTypeNames = map[uint32]string{
	0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
	11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M",
	18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S",
	25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16",
}

// ggufReader reads little-endian GGUF fields and refuses lengths the file cannot hold,
// so a corrupt count fails here instead of allocating gigabytes or aborting llama.cpp.
type ggufReader struct {
	r    *bufio.Reader
	pos  int64
	size int64
	err  error
}

func (g *ggufReader) read(n int64) []byte {
	if g.err != nil {
		return nil
	}
	if n < 0 || n > g.size-g.pos {
		g.err = fmt.Errorf("field at byte %d needs %d bytes, past the end of the file", g.pos, n)
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(g.r, b); err != nil {
		g.err = fmt.Errorf("read at byte %d: %w", g.pos, err)
		return nil
	}
	g.pos += n
	return b
}

func (g *ggufReader) u32() uint32 {
	if b := g.read(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (g *ggufReader) u64() uint64 {
	if b := g.read(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (g *ggufReader) str() string {
	n := g.u64()
	if g.err == nil && n > uint64(g.size-g.pos) {
		g.err = fmt.Errorf("string length %d at byte %d is past the end of the file", n, g.pos)
	}
	return string(g.read(int64(n)))
}

var scalarSize = map[uint32]int64{gU8: 1, gI8: 1, gU16: 2, gI16: 2, gU32: 4, gI32: 4, gF32: 4, gBool: 1, gU64: 8, gI64: 8, gF64: 8}

// value reads one metadata value. Arrays are kept only when they are strings
// and small (the chat template is a plain string; token lists are skipped).
func (g *ggufReader) value(typ uint32, depth int) any {
	switch typ {
	case gString:
		return g.str()
	case gArray:
		if depth > 0 {
			g.err = errors.New("nested metadata arrays are not supported")
			return nil
		}
		et := g.u32()
		n := g.u64()
		if g.err != nil {
			return nil
		}
		if sz, ok := scalarSize[et]; ok {
			if n > uint64(g.size-g.pos)/uint64(sz) {
				g.err = fmt.Errorf("array of %d items at byte %d is past the end of the file", n, g.pos)
				return nil
			}
			g.read(int64(n) * sz)
			return nil
		}
		if et != gString {
			g.err = fmt.Errorf("bad array element type %d at byte %d", et, g.pos)
			return nil
		}
		if n > uint64(g.size-g.pos)/8 {
			g.err = fmt.Errorf("array of %d strings at byte %d is past the end of the file", n, g.pos)
			return nil
		}
		for i := uint64(0); i < n && g.err == nil; i++ {
			g.str()
		}
		return nil
	}
	sz, ok := scalarSize[typ]
	if !ok {
		g.err = fmt.Errorf("bad metadata value type %d at byte %d", typ, g.pos)
		return nil
	}
	b := g.read(sz)
	if b == nil {
		return nil
	}
	switch typ {
	case gU8:
		return uint64(b[0])
	case gI8:
		return int64(int8(b[0]))
	case gU16:
		return uint64(binary.LittleEndian.Uint16(b))
	case gI16:
		return int64(int16(binary.LittleEndian.Uint16(b)))
	case gU32:
		return uint64(binary.LittleEndian.Uint32(b))
	case gI32:
		return int64(int32(binary.LittleEndian.Uint32(b)))
	case gU64:
		return binary.LittleEndian.Uint64(b)
	case gI64:
		return int64(binary.LittleEndian.Uint64(b))
	case gF32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case gF64:
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	case gBool:
		return b[0] != 0
	}
	return nil
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// Inspect validates a GGUF file (header, metadata, tensor infos, tensor data
// inside the file) and describes it. It never calls llama.cpp, which aborts the
// process on many malformed files.
func Inspect(path string) (ModelInfo, error) {
	info, _, err := InspectShape(path)
	return info, err
}

// Shape holds what llamacpp.Load checks before llama.cpp sees the file.
type Shape struct {
	HeadDimK, HeadDimV int64 // 0 when unknown
}

// InspectShape is Inspect that also reads the attention head sizes.
func InspectShape(path string) (ModelInfo, Shape, error) {
	var sh Shape
	info, meta, err := readGGUF(path)
	if err != nil {
		return info, sh, err
	}
	a := info.Arch
	if e, ok := asInt(meta[a+".embedding_length"]); ok {
		if h, ok := asInt(meta[a+".attention.head_count"]); ok && h > 0 {
			sh.HeadDimK, sh.HeadDimV = e/h, e/h
		}
	}
	if k, ok := asInt(meta[a+".attention.key_length"]); ok {
		sh.HeadDimK = k
	}
	if v, ok := asInt(meta[a+".attention.value_length"]); ok {
		sh.HeadDimV = v
	}
	return info, sh, nil
}

func readGGUF(path string) (ModelInfo, map[string]any, error) {
	info := ModelInfo{Path: path}
	var meta map[string]any
	f, err := os.Open(path)
	if err != nil {
		return info, nil, fmt.Errorf("model %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return info, nil, fmt.Errorf("model %s: %w", path, err)
	}
	if st.IsDir() {
		return info, nil, fmt.Errorf("model %s: is a directory", path)
	}
	info.SizeBytes = st.Size()
	bad := func(format string, a ...any) (ModelInfo, map[string]any, error) {
		return info, nil, fmt.Errorf("model %s: not a valid GGUF file: %s", path, fmt.Sprintf(format, a...))
	}
	g := &ggufReader{r: bufio.NewReaderSize(f, 1<<16), size: st.Size()}
	magic := g.read(4)
	if g.err != nil || string(magic) != "GGUF" {
		return bad("no GGUF magic")
	}
	version := g.u32()
	if g.err == nil && version != 2 && version != 3 {
		return bad("unsupported version %d", version)
	}
	nTensors, nKV := g.u64(), g.u64()
	if g.err != nil {
		return bad("%v", g.err)
	}
	// Every tensor info and key-value pair takes well over 8 bytes.
	if nTensors > uint64(g.size)/8 || nKV > uint64(g.size)/8 {
		return bad("%d tensors and %d metadata keys cannot fit in %d bytes", nTensors, nKV, g.size)
	}
	meta = map[string]any{}
	for i := uint64(0); i < nKV && g.err == nil; i++ {
		key := g.str()
		typ := g.u32()
		v := g.value(typ, 0)
		if g.err == nil && key == "" {
			g.err = fmt.Errorf("empty metadata key")
		}
		meta[key] = v
	}
	if g.err != nil {
		return bad("metadata: %v", g.err)
	}
	align := int64(32)
	if v, ok := asInt(meta["general.alignment"]); ok {
		if v <= 0 || v&(v-1) != 0 {
			return bad("general.alignment %d is not a power of two", v)
		}
		align = v
	}
	type tinfo struct {
		name         string
		typ          uint32
		offset, size int64
	}
	tensors := make([]tinfo, 0, nTensors)
	typeCount := map[uint32]int64{}
	for i := uint64(0); i < nTensors && g.err == nil; i++ {
		name := g.str()
		nd := g.u32()
		if g.err == nil && (nd == 0 || nd > 4) {
			return bad("tensor %q has %d dimensions", name, nd)
		}
		elems := int64(1)
		for d := uint32(0); d < nd && g.err == nil; d++ {
			n := g.u64()
			if n == 0 || n > uint64(g.size)*256 || elems > math.MaxInt64/int64(n) {
				return bad("tensor %q has a bad dimension %d", name, n)
			}
			elems *= int64(n)
		}
		typ := g.u32()
		off := g.u64()
		if g.err != nil {
			break
		}
		tt, ok := ggmlTypes[typ]
		if !ok {
			return bad("tensor %q has unknown type %d", name, typ)
		}
		if elems%tt[0] != 0 {
			return bad("tensor %q: %d elements is not a multiple of the block size %d", name, elems, tt[0])
		}
		if off%uint64(align) != 0 || off > uint64(g.size) {
			return bad("tensor %q has a bad data offset %d", name, off)
		}
		info.Params += elems
		typeCount[typ] += elems
		tensors = append(tensors, tinfo{name, typ, int64(off), elems / tt[0] * tt[1]})
	}
	if g.err != nil {
		return bad("tensor infos: %v", g.err)
	}
	dataStart := (g.pos + align - 1) / align * align
	for _, t := range tensors {
		if end := dataStart + t.offset + t.size; end > g.size || end < dataStart {
			return bad("tensor %q data ends at byte %d, past the end of the file (%d bytes); truncated?", t.name, end, g.size)
		}
	}
	sort.Slice(tensors, func(i, j int) bool { return tensors[i].offset < tensors[j].offset })
	for i := 1; i < len(tensors); i++ {
		if tensors[i].offset < tensors[i-1].offset+tensors[i-1].size {
			return bad("tensors %q and %q overlap", tensors[i-1].name, tensors[i].name)
		}
	}

	info.Arch, _ = meta["general.architecture"].(string)
	if info.Arch == "" {
		return bad("no general.architecture")
	}
	info.Name, _ = meta["general.name"].(string)
	if info.Name == "" {
		info.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if v, ok := asInt(meta[info.Arch+".context_length"]); ok && v > 0 && v < math.MaxInt32 {
		info.ContextLength = int(v)
	}
	if ft, ok := asInt(meta["general.file_type"]); ok {
		info.Quant = fileTypeNames[uint32(ft)]
	}
	if info.Quant == "" { // the most common tensor type by elements
		var best uint32
		for t, n := range typeCount {
			if n > typeCount[best] || (n == typeCount[best] && t < best) {
				best = t
			}
		}
		info.Quant = ggmlTypeNames[best]
	}
	tmpl, _ := meta["tokenizer.chat_template"].(string)
	info.Template = DetectTemplate(tmpl, info.Arch)
	return info, meta, nil
}
