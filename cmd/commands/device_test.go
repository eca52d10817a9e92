package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"polarsbench/harness/device"
	"polarsbench/harness/repo"
)

// deviceFlags parses args into the solver flags of a fresh serve-like command.
func deviceFlags(t *testing.T, args ...string) *solverFlags {
	t.Helper()
	f := &solverFlags{}
	c := &cobra.Command{Use: "x"}
	f.add(c)
	if err := c.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestChooseDeviceOnThisMachine(t *testing.T) {
	gpuHere := probeMachine().GPUUsable()
	t.Setenv("OLLAMA_LIBRARY_PATH", "/keep") // restored after the test
	os.Unsetenv("OLLAMA_LIBRARY_PATH")
	var logs bytes.Buffer
	info := log.New(&logs, "", 0)

	// auto with the built-in figures: the GPU plan is unmeasured, so CPU on any machine,
	// with the decision and its inputs logged, and no GPU backend to be loaded.
	layers, err := deviceFlags(t, "--device", "auto").chooseDevice(info, 4, 0)
	if err != nil || layers != 0 {
		t.Fatalf("auto: layers %d, %v", layers, err)
	}
	for _, want := range []string{"device cpu (--device auto: ", "device inputs: GPU backends:", "cpu plan k=4: 9.60 s/question", "gpu plan unmeasured"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if v, ok := os.LookupEnv("OLLAMA_LIBRARY_PATH"); !ok || v != "" {
		t.Errorf("CPU chosen but OLLAMA_LIBRARY_PATH=%q (set %v): a GPU backend would still load", v, ok)
	}

	// The default is auto.
	if f := deviceFlags(t); f.Device != device.Auto {
		t.Errorf("default --device %q", f.Device)
	}

	// --gpu-layers alone keeps its meaning: no decision.
	logs.Reset()
	if layers, err := deviceFlags(t, "--gpu-layers", "all").chooseDevice(info, 4, -1); err != nil || layers != -1 || !strings.Contains(logs.String(), "no device decision") {
		t.Errorf("--gpu-layers all alone: %d %v %s", layers, err, logs.String())
	}

	// Contradictions and unknown values are usage errors.
	for _, args := range [][]string{
		{"--device", "cpu", "--gpu-layers", "all"},
		{"--device", "gpu", "--gpu-layers", "0"},
		{"--device", "tpu"},
	} {
		gl, _ := parseGPULayers(deviceFlags(t, args...).GPULayers)
		if _, err := deviceFlags(t, args...).chooseDevice(info, 4, gl); inferExitCode(err) != 2 {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}

	// A figures file is read; a broken one is a usage error.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{"), 0o644)
	if _, err := deviceFlags(t, "--device-figures", bad).chooseDevice(info, 4, 0); inferExitCode(err) != 2 {
		t.Errorf("broken figures: %v", err)
	}

	if gpuHere {
		t.Skip("this machine has a usable GPU: the no-GPU error cannot be checked here")
	}
	// A measured, much faster GPU plan does not matter without a GPU.
	fast := filepath.Join(t.TempDir(), "fast.json")
	os.WriteFile(fast, []byte(`{"plans":[{"device":"cpu","k":4,"seconds_per_question":20,"accuracy":0.3,"ram_mb":1800},
		{"device":"gpu","k":4,"seconds_per_question":0.3,"accuracy":0.3,"vram_mb":1500,"ram_mb":2500}]}`), 0o644)
	logs.Reset()
	if layers, err := deviceFlags(t, "--device-figures", fast).chooseDevice(info, 4, 0); err != nil || layers != 0 || !strings.Contains(logs.String(), "no usable GPU") {
		t.Errorf("auto with a fast GPU plan on a CPU machine: %d %v\n%s", layers, err, logs.String())
	}
	_, err = deviceFlags(t, "--device", "gpu").chooseDevice(info, 4, 0)
	if !errors.Is(err, device.ErrNoGPU) || inferExitCode(err) != 1 || !strings.Contains(err.Error(), "--device gpu: no usable GPU") {
		t.Errorf("--device gpu without a GPU: %v", err)
	}
}

// syncBuffer collects what the server writes on stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// serve --device auto on a machine without a measured GPU plan serves from the CPU
// and says so at start-up; --device gpu without a GPU stops with the reason.
func TestServeDeviceOnCPU(t *testing.T) {
	py := repo.Python()
	if _, err := os.Stat(py); err != nil {
		t.Skipf("no Python for the workers (make venv): %v", err)
	}
	t.Setenv("OLLAMA_LIBRARY_PATH", "/keep")
	model := inferTinyGGUF(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	logFile := filepath.Join(t.TempDir(), "serve.jsonl")

	if !probeMachine().GPUUsable() {
		out, err := runInferCmd(t, "serve", "--device", "gpu", "--model", model, "--addr", addr, "--log", logFile, "--python", py)
		if !errors.Is(err, device.ErrNoGPU) {
			t.Errorf("serve --device gpu without a GPU: %v\n%s", err, out)
		}
	}

	buf := &syncBuffer{} // serve's log, from its error stream
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		root := NewRoot(&IOStreams{In: strings.NewReader(""), Out: buf, ErrOut: buf})
		root.SetArgs([]string{"serve", "--device", "auto", "--model", model, "--addr", addr, "--log", logFile,
			"--python", py, "--k", "1", "--threads", "2"})
		done <- root.ExecuteContext(ctx)
	}()
	ready := false
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline) && !ready; {
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v\n%s", err, buf.String())
		case <-time.After(300 * time.Millisecond):
		}
		if r, err := http.Get(fmt.Sprintf("http://%s/", addr)); err == nil {
			ready = r.StatusCode == 200
			r.Body.Close()
		}
	}
	cancel()
	err = <-done
	out := buf.String()
	if !ready || err != nil {
		t.Fatalf("ready %v, exit %v\n%s", ready, err, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "device") {
			t.Log(l)
		}
	}
	if !strings.Contains(out, "device cpu (--device auto: ") || !strings.Contains(out, "device inputs: cpu plan") {
		t.Errorf("no device decision in the start-up log:\n%s", out)
	}
}
