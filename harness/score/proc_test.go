package score

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// A parent holding about 60 MB with a child holding about 40 MB: the tree
// sum must count both.
func TestTreeRSSCountsChildren(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	child := `b = b"x" * (40 << 20); import time; time.sleep(30)`
	parent := `import subprocess, sys, time
b = b"x" * (60 << 20)
p = subprocess.Popen([sys.executable, "-c", ` + "'" + child + "'" + `])
time.sleep(30)`
	cmd := exec.Command(py, "-c", parent)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		// Kill the child first (it is our grandchild), then the parent.
		if m, err := childrenMap(); err == nil {
			for _, c := range m[cmd.Process.Pid] {
				if p, err := os.FindProcess(c); err == nil {
					p.Kill()
				}
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
	}()
	deadline := time.Now().Add(15 * time.Second)
	var tree float64
	for time.Now().Before(deadline) {
		tree, _ = TreeRSSMB(cmd.Process.Pid)
		if tree > 100 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	own := float64(rssBytes(cmd.Process.Pid)) / (1 << 20)
	if tree < 100 || own > 90 {
		t.Fatalf("tree RSS %.1f MB (parent alone %.1f MB): want the tree over 100 MB and the parent under 90", tree, own)
	}
	stop := (&Sampler{PID: cmd.Process.Pid}).Start()
	time.Sleep(450 * time.Millisecond)
	if p := stop(); p.RAMMB < 100 || p.VRAMMB != 0 {
		t.Errorf("sampler peaks %+v", p)
	}
	if got, _ := TreeRSSMB(0); got != 0 {
		t.Errorf("pid 0 reads %v", got)
	}
}

func TestSamplerKeepsPeak(t *testing.T) {
	readings := []float64{10, 50, 20}
	i := 0
	s := &Sampler{PID: 1, RSS: func(int) (float64, error) {
		v := readings[min(i, len(readings)-1)]
		i++
		return v, nil
	}, GPU: &GPUReader{Command: []string{"echo", "700\n300"}}}
	stop := s.Start()
	time.Sleep(2*SampleInterval + 100*time.Millisecond)
	p := stop()
	if p.RAMMB != 50 || p.VRAMMB != 1000 {
		t.Errorf("peaks %+v, want RAM 50 and VRAM 1000", p)
	}
}

func TestListenerPID(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := ListenerPID(l.Addr().(*net.TCPAddr).Port); got != os.Getpid() {
		t.Errorf("ListenerPID = %d, want %d", got, os.Getpid())
	}
}

func TestGPUReaderAbsentReadsZero(t *testing.T) {
	g := &GPUReader{Command: []string{"/nonexistent/nvidia-smi"}}
	if g.MB() != 0 || g.Present() {
		t.Errorf("absent nvidia-smi: MB %v present %v", g.MB(), g.Present())
	}
	if _, err := parseGPUMemory("12\nnot a number\n"); err == nil || !strings.Contains(err.Error(), "not a number") {
		t.Errorf("bad output parsed: %v", err)
	}
	if v, _ := parseGPUMemory(" 1024\n512 \n"); v != 1536 {
		t.Errorf("sum = %v", v)
	}
}
