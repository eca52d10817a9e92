package finetune

import (
	"bufio"
	"debug/buildinfo"
	"debug/elf"
	"debug/gosym"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"polarsbench/harness/score"
)

// ShipOptions describes a submission tree.
type ShipOptions struct {
	Out      string // destination folder; must be empty or absent
	RepoRoot string // where main.py and requirements.txt come from
	Binary   string // the harness binary to copy (os.Executable() in the command)
	// Model is a local GGUF copied into models/. With ModelURL set instead, the
	// tree gets fetch_model.py and models/fetch.json, and the file is downloaded
	// and checked against ModelSHA256 before use.
	Model       string
	ModelURL    string
	ModelSHA256 string
	ModelName   string // file name under models/ (default: base name of Model or of the URL path)
	Config      []byte // serving settings written as config.json (nil: none)
	// Include lists files or folders, relative to RepoRoot, copied to the same place in
	// the tree: what the server reads from its root, such as the example bank
	// datasets/polarsbench/dev.
	Include []string
	// AllowNative ships a binary that is not portable (see CheckBinaryISA: built
	// -march=native, holding AVX-512 code, or not checkable). Without it Ship refuses one.
	AllowNative bool
}

// ShipResult lists what went into the tree.
type ShipResult struct {
	Files []string  `json:"files"` // relative paths
	Model string    `json:"model"` // relative path of the model
	ISA   BinaryISA `json:"isa"`   // what bin/harness needs from the CPU
}

// ManifestFile is the tree's record of what it holds and what its binary needs.
const ManifestFile = "manifest.json"

// ShipManifest is written to ManifestFile, last, listing every other file.
type ShipManifest struct {
	Binary struct {
		Path   string    `json:"path"`
		SHA256 string    `json:"sha256"`
		Source string    `json:"source"` // the file copied
		ISA    BinaryISA `json:"isa"`
	} `json:"binary"`
	Model string   `json:"model"`
	Files []string `json:"files"`
}

//go:embed fetch_model.py
var fetchModelPy []byte

// protected lists what the runner strips from requirements.txt; naming one is a mistake.
var protected = map[string]bool{"torch": true, "polars": true, "fastapi": true, "uvicorn": true,
	"pydantic": true, "requests": true, "transformers": true, "accelerate": true}

var reqName = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)`)

// CheckRequirements errs when requirements.txt names a package the runner protects.
func CheckRequirements(text string) error {
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-") {
			continue
		}
		if m := reqName.FindStringSubmatch(line); m != nil {
			name := strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(m[1]))
			if protected[name] {
				return fmt.Errorf("requirements.txt:%d names %s, which the runner protects and drops", i+1, m[1])
			}
		}
	}
	return nil
}

// Ship builds a self-contained submission tree: main.py, requirements.txt,
// bin/harness, lib/ollama/* (GPU backends, when present beside the binary),
// the model (or its checked download step), models/DEFAULT and config.json.
func Ship(o ShipOptions) (ShipResult, error) {
	var res ShipResult
	if (o.Model == "") == (o.ModelURL == "") {
		return res, errors.New("give either a model file or a model URL")
	}
	if o.ModelURL != "" {
		if b, err := hex.DecodeString(o.ModelSHA256); err != nil || len(b) != 32 {
			return res, errors.New("a model URL needs --model-sha256 with 64 hex digits")
		}
		if !strings.HasPrefix(o.ModelURL, "https://") && !strings.HasPrefix(o.ModelURL, "http://") {
			return res, fmt.Errorf("model URL %q: want http:// or https://", o.ModelURL)
		}
	}
	if entries, err := os.ReadDir(o.Out); err == nil && len(entries) > 0 {
		return res, fmt.Errorf("%s is not empty: ship into a new folder", o.Out)
	}
	req, err := os.ReadFile(filepath.Join(o.RepoRoot, "requirements.txt"))
	if err != nil {
		return res, fmt.Errorf("requirements.txt: %w", err)
	}
	if err := CheckRequirements(string(req)); err != nil {
		return res, err
	}
	if _, err := os.Stat(filepath.Join(o.RepoRoot, "main.py")); err != nil {
		return res, fmt.Errorf("main.py: %w", err)
	}
	// A binary the runner's CPU may lack instructions for dies with SIGILL on the
	// first question and loses the whole run: refuse it before copying anything.
	if res.ISA, err = CheckBinaryISA(o.Binary); err != nil {
		return res, err
	}
	if !res.ISA.Portable && !o.AllowNative {
		return res, fmt.Errorf("%s is not portable (%s): build bin/harness-portable with `make build-portable`, or allow this binary explicitly (--allow-native)", o.Binary, res.ISA.Reason)
	}
	put := func(rel string, copyFrom string, data []byte, mode os.FileMode) error {
		dst := filepath.Join(o.Out, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		var err error
		if copyFrom != "" {
			err = copyFile(copyFrom, dst, mode)
		} else {
			err = os.WriteFile(dst, data, mode)
		}
		if err != nil {
			return fmt.Errorf("ship %s: %w", rel, err)
		}
		res.Files = append(res.Files, rel)
		return nil
	}
	if err := put("main.py", filepath.Join(o.RepoRoot, "main.py"), nil, 0o644); err != nil {
		return res, err
	}
	if err := put("requirements.txt", "", req, 0o644); err != nil {
		return res, err
	}
	if err := put(filepath.Join("bin", "harness"), o.Binary, nil, 0o755); err != nil {
		return res, err
	}
	// GPU backends load from <exe dir>/../lib/ollama: ship them beside the binary the same way.
	libDir := filepath.Join(filepath.Dir(o.Binary), "..", "lib", "ollama")
	if libs, err := os.ReadDir(libDir); err == nil {
		for _, e := range libs {
			if e.Type().IsRegular() {
				if err := put(filepath.Join("lib", "ollama", e.Name()), filepath.Join(libDir, e.Name()), nil, 0o755); err != nil {
					return res, err
				}
			}
		}
	}
	for _, rel := range o.Include {
		src := filepath.Join(o.RepoRoot, rel)
		err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			r, _ := filepath.Rel(o.RepoRoot, p)
			return put(r, p, nil, 0o644)
		})
		if err != nil {
			return res, fmt.Errorf("include %s: %w", rel, err)
		}
	}
	name := o.ModelName
	if name == "" {
		if o.Model != "" {
			name = filepath.Base(o.Model)
		} else {
			name = filepath.Base(strings.SplitN(o.ModelURL, "?", 2)[0])
		}
	}
	if name == "" || name == "." || name == "/" || strings.ContainsAny(name, `/\`) || !strings.HasSuffix(name, ".gguf") {
		return res, fmt.Errorf("model file name %q: want a plain name ending in .gguf (use --model-name)", name)
	}
	res.Model = filepath.Join("models", name)
	if o.Model != "" {
		if err := put(res.Model, o.Model, nil, 0o644); err != nil {
			return res, err
		}
	} else {
		spec, _ := json.MarshalIndent(map[string]string{"url": o.ModelURL, "sha256": strings.ToLower(o.ModelSHA256), "file": name}, "", "  ")
		if err := put(filepath.Join("models", "fetch.json"), "", append(spec, '\n'), 0o644); err != nil {
			return res, err
		}
		if err := put("fetch_model.py", "", fetchModelPy, 0o755); err != nil {
			return res, err
		}
	}
	if err := put(filepath.Join("models", "DEFAULT"), "", []byte(name+"\n"), 0o644); err != nil {
		return res, err
	}
	if o.Config != nil {
		if !json.Valid(o.Config) {
			return res, errors.New("the serving config is not valid JSON")
		}
		if err := put("config.json", "", o.Config, 0o644); err != nil {
			return res, err
		}
	}
	var m ShipManifest
	m.Binary.Path, m.Binary.Source, m.Binary.ISA = "bin/harness", o.Binary, res.ISA
	if m.Binary.SHA256, _, err = score.FileSHA256(filepath.Join(o.Out, "bin", "harness")); err != nil {
		return res, err
	}
	m.Model, m.Files = filepath.ToSlash(res.Model), make([]string, len(res.Files))
	for i, f := range res.Files {
		m.Files[i] = filepath.ToSlash(f)
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := put(ManifestFile, "", append(mb, '\n'), 0o644); err != nil {
		return res, err
	}
	return res, nil
}

// BinaryISA says what a harness binary needs from the CPU, from two sources: the
// cgo flags Go recorded in the binary's build settings (what the C/C++ of
// llama.cpp was compiled for), and, when objdump is installed, the instructions
// themselves: an EVEX-encoded (AVX-512) instruction outside Go functions is
// compiled-in C/C++ that runs unconditionally. Go's own assembly (runtime,
// crypto) checks the CPU before any AVX-512 path, so it is counted apart.
type BinaryISA struct {
	Portable bool     `json:"portable"`
	Reason   string   `json:"reason,omitempty"` // why it is not
	Requires []string `json:"requires"`         // CPU features the binary needs
	GOAMD64  string   `json:"goamd64"`
	CFlags   string   `json:"cgo_cflags"`
	CXXFlags string   `json:"cgo_cxxflags"`
	// Disassembly says how the instructions were checked ("objdump", or why not).
	Disassembly string   `json:"disassembly"`
	AVX512      int      `json:"avx512_instructions"`                // outside Go functions
	AVX512Go    int      `json:"avx512_instructions_go_cpu_checked"` // inside Go functions
	Examples    []string `json:"avx512_examples,omitempty"`          // a few offending functions
}

// portableMarch are the -march values every AVX2 x86-64 runs.
var portableMarch = map[string]bool{"x86-64": true, "x86-64-v2": true, "x86-64-v3": true}

var (
	isaMu    sync.Mutex
	isaCache = map[string]BinaryISA{} // by path, size and time: a disassembly takes 10-80 s
)

// CheckBinaryISA reads the binary's build settings and, with objdump, its code.
// A binary that is not a Go build at all cannot be checked and is not portable.
func CheckBinaryISA(path string) (BinaryISA, error) {
	st, err := os.Stat(path)
	if err != nil {
		return BinaryISA{}, fmt.Errorf("binary: %w", err)
	}
	key := fmt.Sprintf("%s\x00%d\x00%d", path, st.Size(), st.ModTime().UnixNano())
	isaMu.Lock()
	defer isaMu.Unlock()
	if isa, ok := isaCache[key]; ok {
		return isa, nil
	}
	isa := checkBinaryISA(path)
	isaCache[key] = isa
	return isa, nil
}

func checkBinaryISA(path string) BinaryISA {
	isa := BinaryISA{GOAMD64: "v1"}
	var notPortable []string
	seen := map[string]bool{}
	bad := func(why string) {
		if !seen[why] {
			seen[why] = true
			notPortable = append(notPortable, why)
		}
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		bad("no Go build settings to check: " + err.Error())
	} else {
		cgo := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "CGO_CFLAGS":
				isa.CFlags = s.Value
			case "CGO_CXXFLAGS":
				isa.CXXFlags = s.Value
			case "GOAMD64":
				isa.GOAMD64 = s.Value
			case "CGO_ENABLED":
				cgo = s.Value == "1"
			}
		}
		if !cgo {
			bad("built without cgo, so without the engine")
		}
	}
	req := map[string]bool{"x86-64": true}
	switch isa.GOAMD64 {
	case "v1":
	case "v2", "v3":
		req["x86-64-"+isa.GOAMD64] = true
	default:
		bad("GOAMD64=" + isa.GOAMD64)
	}
	for _, flag := range strings.Fields(isa.CFlags + " " + isa.CXXFlags) {
		switch {
		case flag == "-march=native" || flag == "-mcpu=native":
			bad("C/C++ built with " + flag + " (the build machine's CPU)")
		case strings.HasPrefix(flag, "-march="):
			if m := strings.TrimPrefix(flag, "-march="); portableMarch[m] {
				req[m] = true
			} else {
				bad("C/C++ built with " + flag)
			}
		case strings.HasPrefix(flag, "-mavx512"), strings.HasPrefix(flag, "-mavx10"), strings.HasPrefix(flag, "-mamx"):
			bad("C/C++ built with " + flag)
		case strings.HasPrefix(flag, "-mno-"), strings.HasPrefix(flag, "-mtune="), flag == "-m64":
		case strings.HasPrefix(flag, "-m") && len(flag) > 2:
			req[strings.ToUpper(strings.TrimPrefix(flag, "-m"))] = true
		}
	}
	for r := range req {
		isa.Requires = append(isa.Requires, r)
	}
	sort.Strings(isa.Requires)
	if err := countAVX512(path, &isa); err != nil {
		isa.Disassembly = "not checked: " + err.Error()
	} else if isa.AVX512 > 0 {
		bad(fmt.Sprintf("%d AVX-512 instructions outside Go functions (%s)", isa.AVX512, strings.Join(isa.Examples, ", ")))
	}
	isa.Portable = len(notPortable) == 0
	isa.Reason = strings.Join(notPortable, "; ")
	return isa
}

// legacyPrefix are the x86 prefixes that may precede an EVEX (0x62) opcode byte.
var legacyPrefix = map[string]bool{"26": true, "2e": true, "36": true, "3e": true, "64": true, "65": true,
	"66": true, "67": true, "f0": true, "f2": true, "f3": true}

// countAVX512 disassembles .text with objdump and counts EVEX-encoded
// instructions (0x62 as the opcode byte: in 64-bit mode it is only EVEX),
// apart for those inside Go functions (from the binary's pclntab).
func countAVX512(path string, isa *BinaryISA) error {
	objdump, err := exec.LookPath("objdump")
	if err != nil {
		return errors.New("no objdump (apt-get install binutils)")
	}
	goFuncs, err := goFunctionRanges(path)
	if err != nil {
		return err
	}
	cmd := exec.Command(objdump, "-d", "-w", "--section=.text", path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	examples := map[string]bool{}
	sym := ""
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasSuffix(line, ">:") {
			if i := strings.IndexByte(line, '<'); i >= 0 {
				sym = line[i+1 : len(line)-2]
			}
			continue
		}
		// "  4322af:\t62 f1 fd 48 6f 0c 24 \tvmovdqa64 (%rsp),%zmm1"
		f := strings.SplitN(line, "\t", 3)
		if len(f) < 3 || !strings.HasSuffix(f[0], ":") {
			continue
		}
		bytes := strings.Fields(f[1])
		for len(bytes) > 0 && legacyPrefix[bytes[0]] {
			bytes = bytes[1:]
		}
		if len(bytes) < 6 || bytes[0] != "62" || strings.HasPrefix(strings.TrimSpace(f[2]), "(bad)") {
			continue
		}
		addr, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(f[0], ":")), 16, 64)
		if err == nil && goFuncs.contains(addr) {
			isa.AVX512Go++
			continue
		}
		isa.AVX512++
		if len(examples) < 5 && !examples[sym] {
			examples[sym] = true
			isa.Examples = append(isa.Examples, sym)
		}
	}
	if err := sc.Err(); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("objdump: %v %s", err, strings.TrimSpace(stderr.String()))
	}
	isa.Disassembly = "objdump"
	return nil
}

type addrRanges [][2]uint64 // sorted [start, end)

func (r addrRanges) contains(a uint64) bool {
	i := sort.Search(len(r), func(i int) bool { return r[i][1] > a })
	return i < len(r) && r[i][0] <= a
}

// goFunctionRanges lists the Go functions' code ranges from the binary's pclntab.
func goFunctionRanges(path string) (addrRanges, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if pcln == nil || text == nil {
		return nil, errors.New("no .gopclntab or .text section")
	}
	data, err := pcln.Data()
	if err != nil {
		return nil, err
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil, fmt.Errorf("Go function table: %w", err)
	}
	r := make(addrRanges, 0, len(tab.Funcs))
	for _, fn := range tab.Funcs {
		r = append(r, [2]uint64{fn.Entry, fn.End})
	}
	sort.Slice(r, func(i, j int) bool { return r[i][0] < r[j][0] })
	return r, nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
