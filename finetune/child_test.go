package finetune

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunChildCancelKillsTheGroup starts a child that reports progress, leaves a
// grandchild that ignores SIGINT, then blocks; cancelling must end both.
func TestRunChildCancelKillsTheGroup(t *testing.T) {
	old := childGrace
	childGrace = time.Second
	defer func() { childGrace = old }()
	pidFile := filepath.Join(t.TempDir(), "pid")
	script := `echo '{"event":"step","step":1,"steps":9,"loss":1.5}'; echo 'chatter'; sleep 300 & echo $! > ` + pidFile + `; sleep 300`
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan Event, 4)
	errc := make(chan error, 1)
	go func() {
		_, err := runChild(ctx, []string{"/bin/sh", "-c", script}, nil, func(ev Event) { got <- ev })
		errc <- err
	}()
	select {
	case ev := <-got:
		if ev.Event != "step" || ev.Step != 1 || ev.Loss != 1.5 {
			t.Fatalf("event parsed wrong: %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no progress event")
	}
	var pid int
	for i := 0; i < 50 && pid == 0; i++ {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Fatalf("want an interrupted error, got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runChild did not return after cancel")
	}
	if pid == 0 {
		t.Fatal("grandchild pid never written")
	}
	time.Sleep(200 * time.Millisecond)
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("grandchild %d outlived the cancel", pid)
	}
}

// alive reports a running process; a killed one may linger as a zombie until reaped.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestRunChildFailureCarriesTheScriptsLine(t *testing.T) {
	_, err := runChild(context.Background(), []string{"/bin/sh", "-c", "echo noise >&2; echo 'train_lora: error: data file x does not exist' >&2; echo more >&2; exit 2"}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "exit 2") || !strings.Contains(err.Error(), "data file x does not exist") {
		t.Fatalf("got %v", err)
	}
	_, err = runChild(context.Background(), []string{"/bin/sh", "-c", "exit 0"}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "without a summary") {
		t.Fatalf("a child with no done line must fail, got %v", err)
	}
}

// TestProgressNamesResumeAndCheckpoints: logs get a line per checkpoint, a
// terminal keeps its bar whole; both say where a resumed run starts.
func TestProgressNamesResumeAndCheckpoints(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var b strings.Builder
		p := &Progress{W: &b, TTY: tty}
		p.Event(Event{Event: "resume", Step: 40, Steps: 250, Loss: 0.5})
		p.Event(Event{Event: "checkpoint", Step: 60, Steps: 250, Path: "out/checkpoint"})
		out := b.String()
		if !strings.Contains(out, "resumed from the checkpoint at step 40/250") {
			t.Errorf("tty %v: no resume line in %q", tty, out)
		}
		if strings.Contains(out, "checkpoint at step 60/250 -> out/checkpoint") == tty {
			t.Errorf("tty %v: checkpoint line wrong in %q", tty, out)
		}
	}
}
