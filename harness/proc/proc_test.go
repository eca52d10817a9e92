package proc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the child (go-plugin's helper-process pattern):
// PROC_HELPER names what it does.
func TestMain(m *testing.M) {
	if mode := os.Getenv("PROC_HELPER"); mode != "" {
		helper(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func helper(mode string) {
	switch mode {
	case "sleep":
		time.Sleep(time.Minute)
	case "grandchild":
		// Start a grandchild in our group, tell its pid, then wait.
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "PROC_HELPER=sleep")
		if err := cmd.Start(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(cmd.Process.Pid)
		time.Sleep(time.Minute)
	case "leave-grandchild":
		// A grandchild that ignores SIGTERM and shares our stdout.
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "PROC_HELPER=ignore-term")
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			os.Exit(1)
		}
		fmt.Println(cmd.Process.Pid)
		time.Sleep(time.Minute)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(time.Minute)
	case "loud-fail":
		line := strings.Repeat("x", 1023) + "\n"
		for i := 0; i < 256; i++ {
			os.Stderr.WriteString(line)
		}
		os.Stderr.WriteString("the real reason\n")
		os.Exit(3)
	case "handshake":
		fmt.Println("HELLO 7 ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
		fmt.Println("bye")
	case "silent":
		time.Sleep(time.Minute)
	case "print-exit":
		fmt.Println("last words")
	}
}

func spec(mode string) Spec {
	return Spec{Path: os.Args[0], Env: []string{"PROC_HELPER=" + mode}}
}

func alive(pid int) bool {
	// A zombie still answers kill(0); look at its state instead.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCancelKillsGroupWithGrandchildren(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := spec("grandchild")
	s.Stdout = true
	p, err := Start(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	line, err := bufio.NewReader(p.Stdout()).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	gc, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("grandchild pid: %q", line)
	}
	if !alive(gc) {
		t.Fatal("grandchild not running")
	}
	cancel()
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("child not stopped on cancel")
	}
	waitGone(t, gc)
	if p.Alive() || p.State() == nil {
		t.Fatal("no exit state after stop")
	}
}

func TestStopEscalatesToKill(t *testing.T) {
	s := spec("ignore-term")
	s.Stdout = true
	p, err := Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	if _, err := Handshake(bufio.NewReader(p.Stdout()), "ready", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p.Stop(200 * time.Millisecond)
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Fatalf("stopped after %s: SIGTERM should have been ignored", el)
	}
	ws := p.State().Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("want killed by SIGKILL, got %v", p.State())
	}
	p.Stop(time.Second) // twice is fine
	p.Kill()
	p.Kill()
}

func TestTailBoundedAndExitErrorCarriesIt(t *testing.T) {
	s := spec("loud-fail")
	s.TailBytes = 4 << 10
	p, err := Run(context.Background(), s)
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("want *ExitError, got %T %v", err, err)
	}
	if ee.Tail != "the real reason" || !strings.HasSuffix(err.Error(), ": the real reason") {
		t.Fatalf("tail %q, error %q", ee.Tail, err)
	}
	var xe *exec.ExitError
	if !errors.As(err, &xe) || xe.ExitCode() != 3 {
		t.Fatalf("want exit code 3 through Unwrap, got %v", err)
	}
	if n := p.Tail().Len(); n != 4<<10 {
		t.Fatalf("tail holds %d bytes, want %d", n, 4<<10)
	}
}

func TestTailWithWriterAndStdout(t *testing.T) {
	var out strings.Builder
	s := spec("print-exit")
	s.StdoutTo, s.TailStdout = &out, true
	p, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "last words\n" || p.Tail().LastLine() != "last words" {
		t.Fatalf("writer %q, tail %q", out.String(), p.Tail().String())
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	s := spec("silent")
	s.StopSignal = syscall.SIGKILL
	if _, err := Run(ctx, s); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline exceeded, got %v", err)
	}
}

func TestHandshake(t *testing.T) {
	s := spec("handshake")
	s.Stdin, s.Stdout = true, true
	p, err := Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	r := bufio.NewReader(p.Stdout())
	v, err := Handshake(r, "HELLO ", 5*time.Second)
	if err != nil || v != "7 ready" {
		t.Fatalf("handshake %q %v", v, err)
	}
	p.Stdin().Write([]byte("go\n"))
	if l, _ := r.ReadString('\n'); l != "bye\n" {
		t.Fatalf("got %q", l)
	}
	// Output written before the exit is still readable after Wait.
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}

	// Wrong first line, and no line at all.
	s = spec("print-exit")
	s.Stdout = true
	p2, err := Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Kill()
	var he *HandshakeError
	if _, err := Handshake(bufio.NewReader(p2.Stdout()), "HELLO ", 5*time.Second); !errors.As(err, &he) || he.Got != "last words" {
		t.Fatalf("want a handshake error with the line, got %v", err)
	}
	s = spec("silent")
	s.Stdout = true
	p3, err := Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p3.Kill()
	if _, err := Handshake(bufio.NewReader(p3.Stdout()), "HELLO ", 100*time.Millisecond); !errors.As(err, &he) || he.Timeout == 0 {
		t.Fatalf("want a handshake timeout, got %v", err)
	}
}

func TestParentDeathSignal(t *testing.T) {
	// The spec asks the kernel for it; the kernel's part is not re-tested here.
	p, err := Start(context.Background(), spec("silent"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	if a := p.cmd.SysProcAttr; !a.Setpgid || a.Pdeathsig != syscall.SIGKILL {
		t.Fatalf("attrs %+v", a)
	}
	if pgid, _ := syscall.Getpgid(p.PID()); pgid != p.PID() {
		t.Fatalf("pgid %d, pid %d", pgid, p.PID())
	}
}

func TestFileOutputPassedThrough(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := spec("loud-fail")
	s.StdoutTo, s.StderrTo = f, f
	_, err = Run(context.Background(), s)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Tail != "" {
		t.Fatalf("want an exit error without tail, got %v", err)
	}
	b, _ := os.ReadFile(f.Name())
	if !strings.HasSuffix(string(b), "the real reason\n") {
		t.Fatal("the file did not get the output")
	}
}

// The child dies at the stop signal but its grandchild ignores it and holds
// stdout: Stop must still end the group, or a reader never sees EOF.
func TestStopEndsLeftoverGrandchild(t *testing.T) {
	s := spec("leave-grandchild")
	s.Stdout = true
	p, err := Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	r := bufio.NewReader(p.Stdout())
	line, _ := r.ReadString('\n')
	gc, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("grandchild pid: %q", line)
	}
	if l, _ := r.ReadString('\n'); l != "ready\n" {
		t.Fatalf("grandchild said %q", l)
	}
	start := time.Now()
	p.Stop(30 * time.Second)
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("stop waited %s for a child that died at once", el)
	}
	waitGone(t, gc)
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("stdout still open")
	}
}
