package finetune

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/proc"
	"polarsbench/harness/repo"
)

// fakeRepo makes a repository root with main.py and requirements.txt.
func fakeRepo(t *testing.T, req string) string {
	t.Helper()
	d := t.TempDir()
	os.MkdirAll(filepath.Join(d, "bank", "sub"), 0o755)
	os.WriteFile(filepath.Join(d, "bank", "sub", "a.json"), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(d, "main.py"), []byte("app = None\n"), 0o644)
	os.WriteFile(filepath.Join(d, "requirements.txt"), []byte(req), 0o644)
	return d
}

func fakeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	os.WriteFile(p, []byte(body), 0o755)
	return p
}

func TestShipLocalModelTree(t *testing.T) {
	root := fakeRepo(t, "# nothing\n")
	bin := fakeFile(t, "harness", "#!/bin/sh\n")
	model := fakeFile(t, "tiny.gguf", "GGUF")
	out := filepath.Join(t.TempDir(), "sub")
	res, err := Ship(ShipOptions{Out: out, RepoRoot: root, Binary: bin, Model: model, Config: []byte(`{"k":1}`), Include: []string{"bank"}, AllowNative: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"main.py", "requirements.txt", "bin/harness", "models/tiny.gguf", "models/DEFAULT", "config.json", "bank/sub/a.json", ManifestFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if st, _ := os.Stat(filepath.Join(out, "bin", "harness")); st == nil || st.Mode()&0o100 == 0 {
		t.Error("bin/harness is not executable")
	}
	if b, _ := os.ReadFile(filepath.Join(out, "models", "DEFAULT")); strings.TrimSpace(string(b)) != "tiny.gguf" {
		t.Errorf("models/DEFAULT = %q", b)
	}
	if res.Model != "models/tiny.gguf" {
		t.Errorf("res.Model = %q", res.Model)
	}
	if _, err := os.Stat(filepath.Join(out, "pyproject.toml")); err == nil {
		t.Error("a pyproject.toml was shipped")
	}
	// The manifest lists every other file and records that this binary is not portable.
	m := readManifest(t, out)
	if len(m.Files) != len(res.Files)-1 || m.Model != "models/tiny.gguf" || m.Binary.Path != "bin/harness" || len(m.Binary.SHA256) != 64 {
		t.Errorf("manifest %+v for files %v", m, res.Files)
	}
	if m.Binary.ISA.Portable || !strings.Contains(m.Binary.ISA.Reason, "no Go build settings") {
		t.Errorf("a shell script recorded as %+v", m.Binary.ISA)
	}
}

func readManifest(t *testing.T, tree string) ShipManifest {
	t.Helper()
	var m ShipManifest
	b, err := os.ReadFile(filepath.Join(tree, ManifestFile))
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	return m
}

// Without AllowNative a binary whose instruction set cannot be shown portable is
// refused before anything is written.
func TestShipRefusesAnUncheckedBinary(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sub")
	_, err := Ship(ShipOptions{Out: out, RepoRoot: fakeRepo(t, ""), Binary: fakeFile(t, "harness", "#!/bin/sh\n"), Model: fakeFile(t, "m.gguf", "GGUF")})
	if err == nil || !strings.Contains(err.Error(), "not portable") || !strings.Contains(err.Error(), "make build-portable") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused ship wrote the tree")
	}
}

// shippableBinary returns bin/NAME of the repository, skipping when absent.
func shippableBinary(t *testing.T, name, how string) string {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s missing (%s): %v", p, how, err)
	}
	return p
}

// The default build (-march=native) is refused: on this project's machine it holds
// AVX-512 code that SIGILLs on an AVX2-only runner; anywhere, its flags are native.
func TestShipRefusesTheNativeBuild(t *testing.T) {
	bin := shippableBinary(t, "harness", "make build")
	isa, err := CheckBinaryISA(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %+v", bin, isa)
	if isa.Portable || !strings.Contains(isa.Reason, "-march=native") {
		t.Fatalf("the native build passes as portable: %+v", isa)
	}
	if cpuHasAVX512(t) && isa.Disassembly == "objdump" && isa.AVX512 == 0 {
		t.Errorf("native build on an AVX-512 CPU, yet no AVX-512 instruction found outside Go code")
	}
	out := filepath.Join(t.TempDir(), "sub")
	_, err = Ship(ShipOptions{Out: out, RepoRoot: fakeRepo(t, ""), Binary: bin, Model: fakeFile(t, "m.gguf", "GGUF")})
	if err == nil || !strings.Contains(err.Error(), "not portable") {
		t.Fatalf("native build shipped: %v", err)
	}
}

// The portable build needs only AVX2/FMA/F16C: its flags say so and its C/C++
// code holds no AVX-512 (EVEX) instruction.
func TestPortableBinaryInstructionSet(t *testing.T) {
	bin := shippableBinary(t, "harness-portable", "make build-portable")
	isa, err := CheckBinaryISA(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %+v", bin, isa)
	checkPortable(t, isa)
}

func checkPortable(t *testing.T, isa BinaryISA) {
	t.Helper()
	if !isa.Portable || isa.AVX512 != 0 {
		t.Fatalf("not portable: %+v", isa)
	}
	for _, want := range []string{"AVX2", "FMA", "F16C"} {
		if !slices.Contains(isa.Requires, want) {
			t.Errorf("requires %v, want %s among them", isa.Requires, want)
		}
	}
	for _, r := range isa.Requires {
		if strings.Contains(r, "512") {
			t.Errorf("requires %s", r)
		}
	}
	if _, err := exec.LookPath("objdump"); err == nil && isa.Disassembly != "objdump" {
		t.Errorf("objdump is installed but the code was not checked: %s", isa.Disassembly)
	}
}

func cpuHasAVX512(t *testing.T) bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	return err == nil && strings.Contains(string(b), " avx512f")
}

func TestShipRejectsBadInput(t *testing.T) {
	bin := fakeFile(t, "harness", "")
	model := fakeFile(t, "m.gguf", "GGUF")
	nonEmpty := t.TempDir()
	os.WriteFile(filepath.Join(nonEmpty, "x"), nil, 0o644)
	for _, c := range []struct {
		name string
		o    ShipOptions
		want string
	}{
		{"protected requirement", ShipOptions{RepoRoot: fakeRepo(t, "numpy\nTorch==2.1\n"), Model: model}, "protects"},
		{"url without sha", ShipOptions{RepoRoot: fakeRepo(t, ""), ModelURL: "https://example.invalid/m.gguf"}, "64 hex"},
		{"both model and url", ShipOptions{RepoRoot: fakeRepo(t, ""), Model: model, ModelURL: "https://x/m.gguf"}, "either"},
		{"non-empty out", ShipOptions{RepoRoot: fakeRepo(t, ""), Model: model, Out: nonEmpty}, "not empty"},
		{"bad config", ShipOptions{RepoRoot: fakeRepo(t, ""), Model: model, Config: []byte("{")}, "not valid JSON"},
	} {
		if c.o.Out == "" {
			c.o.Out = filepath.Join(t.TempDir(), "out")
		}
		c.o.Binary, c.o.AllowNative = bin, true
		if _, err := Ship(c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

// TestShipURLDownloadIsChecked serves a model on loopback and runs the shipped
// fetch_model.py: the right hash installs the file, a wrong one leaves nothing.
func TestShipURLDownloadIsChecked(t *testing.T) {
	payload := []byte("GGUF pretend model bytes")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(payload) }))
	defer srv.Close()
	sum := sha256.Sum256(payload)
	good := hex.EncodeToString(sum[:])
	for _, c := range []struct {
		sha    string
		wantOK bool
	}{{good, true}, {strings.Repeat("0", 64), false}} {
		out := filepath.Join(t.TempDir(), "sub")
		_, err := Ship(ShipOptions{Out: out, RepoRoot: fakeRepo(t, ""), Binary: fakeFile(t, "harness", ""),
			ModelURL: srv.URL + "/dl/model.gguf", ModelSHA256: c.sha, AllowNative: true})
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(repo.Python(), filepath.Join(out, "fetch_model.py"))
		msg, err := cmd.CombinedOutput()
		got, statErr := os.ReadFile(filepath.Join(out, "models", "model.gguf"))
		if c.wantOK {
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("good hash: %v %s", err, msg)
			}
		} else if err == nil || statErr == nil || !strings.Contains(string(msg), "not used") {
			t.Fatalf("a wrong hash must fail and leave no model: err=%v stat=%v %s", err, statErr, msg)
		}
	}
}

// TestShippedTreeServesTheRunner ships the real binary and SmolLM2 and starts
// the tree with the runner's exact command, then asks one dev question.
func TestShippedTreeServesTheRunner(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	// What `harness ship` copies by default: the portable build, checked.
	bin := filepath.Join(root, "bin", "harness-portable")
	model := repo.Model(repo.SmolModelFile)
	for _, p := range []string{filepath.Join(root, "main.py"), bin, model} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s missing (make build-portable models): %v", p, err)
		}
	}
	py := filepath.Join(root, ".venv", "bin", "python")
	if err := exec.Command(py, "-c", "import uvicorn, fastapi").Run(); err != nil {
		t.Skipf("%s lacks uvicorn/fastapi (make venv): %v", py, err)
	}
	out := filepath.Join(t.TempDir(), "sub")
	if _, err := Ship(ShipOptions{Out: out, RepoRoot: root, Binary: bin, Model: model,
		Config: []byte(`{"k": 1, "max_tokens": 96, "repair": false}`), Include: []string{"datasets/polarsbench/dev"}}); err != nil {
		t.Fatal(err)
	}
	m := readManifest(t, out)
	checkPortable(t, m.Binary.ISA)
	port := freePort(t)
	srv, err := proc.Start(context.Background(), proc.Spec{Path: py,
		Args: []string{"-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--timeout-keep-alive", "1200"},
		Dir:  out,
		Env:  []string{"HARNESS_ROOT="}, // the tree must find everything itself
		// The tail is locked: the server writes while the test reads.
		TailStdout: true, TailBytes: 1 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := srv.Tail()
	defer func() {
		srv.Stop(15 * time.Second)
		srv.Kill()
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		r, err := http.Get(base + "/")
		if err == nil {
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode/100 == 2 {
				break
			}
			// main.py says so when its harness child has exited: waiting longer cannot help.
			if r.StatusCode == 500 || strings.Contains(string(b), "not running") {
				t.Fatalf("GET / %d %s; server output:\n%s", r.StatusCode, b, logs.String())
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET / never answered 2xx; server output:\n%s", logs.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	tasks, err := core.LoadBench(repo.DevBench(), repo.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	task := tasks[0]
	tables := map[string]any{}
	for _, tb := range task.Tables {
		if _, err := os.Stat(tb.Path); err != nil {
			t.Skipf("table %s missing (make data): %v", tb.Path, err)
		}
		tables[tb.Name] = map[string]string{"file_name": tb.Path, "format": tb.Format}
	}
	body, _ := json.Marshal(map[string]any{"message": task.Question, "tables": tables})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/chat", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /chat: %v\n%s", err, logs.String())
	}
	defer r.Body.Close()
	var ans struct {
		Response string `json:"response"`
	}
	if err := json.NewDecoder(r.Body).Decode(&ans); err != nil || r.StatusCode != 200 {
		t.Fatalf("POST /chat: status %d, decode %v\n%s", r.StatusCode, err, logs.String())
	}
	// main.py answers with its own placeholder when the Go server fails; an answer
	// from the server carries the request id of its log line.
	if strings.TrimSpace(ans.Response) == "" || r.Header.Get("X-Request-Id") == "" {
		t.Fatalf("no answer from harness serve: %q\n%s", ans.Response, logs.String())
	}
	t.Logf("answer: %s", ans.Response)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
