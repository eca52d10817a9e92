package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
	"polarsbench/harness/repo"
)

// TestRunnerContract starts the submission exactly as the runner does
// (`python -m uvicorn main:app ...` from the repository root, with a real
// harness binary and the SmolLM2 model), polls GET /, sends dev questions on
// POST /chat and runs every answer through the runner's judge script.
func TestRunnerContract(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real server")
	}
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	model := repo.Model(repo.SmolModelFile)
	if _, err := os.Stat(model); err != nil {
		t.Skip("SmolLM2 missing: run make models")
	}
	bin := filepath.Join(t.TempDir(), "harness")
	build := exec.Command("go", "build", "-o", bin, "./cmd/harness")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	port := freePort(t)
	cmd := exec.Command(repo.Python(), "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--timeout-keep-alive", "1200")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "HARNESS_BIN="+bin, "HARNESS_MODEL="+model,
		"HARNESS_ARGS=--k 2 --max-tokens 64 --log "+filepath.Join(t.TempDir(), "serve.jsonl"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Error("uvicorn did not stop within 20 s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("server output:\n%s", logs.String())
		}
	}()

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	sawLoading := false
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := http.Get(base + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
			sawLoading = sawLoading || resp.StatusCode == 503
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET / never answered 200")
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("ready (saw 503 while loading: %v)", sawLoading)

	tasks, err := core.LoadBench(repo.DevBench(), repo.DataDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range []core.Task{tasks[0], tasks[20], tasks[40]} {
		tables := map[string]any{}
		for _, ref := range task.Tables {
			tables[ref.Name] = map[string]string{"file_name": ref.Path, "format": ref.Format}
		}
		body, _ := json.Marshal(map[string]any{"message": task.Question, "tables": tables})
		resp, err := http.Post(base+"/chat", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Response *string `json:"response"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil || out.Response == nil {
			t.Fatalf("%s: status %d, decode %v", task.ID, resp.StatusCode, err)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: no X-Request-Id: the answer did not come from harness serve", task.ID)
		}
		if !strings.Contains(*out.Response, "result") {
			t.Errorf("%s: the answer does not assign result: %q", task.ID, *out.Response)
		}
		// The runner's script takes the answer (SmolLM2 is often wrong; the
		// judge must still give a verdict, not an infrastructure failure).
		v, err := judge.Run(context.Background(), repo.Python(), task.Tables, *out.Response, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: ok=%v %s\n%s", task.ID, v.OK, v.Error, *out.Response)
	}
	resp, err := http.Post(base+"/chat", "application/json", strings.NewReader("{not json"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("malformed JSON through main.py: %d, want 400", resp.StatusCode)
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
