package worker

import (
	"bufio"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"polarsbench/harness/judge"
)

//go:embed worker.py
var workerSource string

// script is the worker with the names-insensitive fingerprint's code put in
// at its marker: harness/judge/values.py is the one source of that code for
// the judge and the worker.
var script = strings.Replace(workerSource,
	"# @values.py@ (harness/judge/values.py, put in by the Go side: one source for the judge and the worker)\n",
	judge.ValuesPython, 1)

// Script returns the embedded Python worker source (for diagnostics and tests).
func Script() string { return script }

// Handshake is the prefix of the worker's first line.
const Handshake = "POLARSWORKER 1 "

// proc is one running Python worker: a child process behind Start/Kill/Wait.
type proc struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	out     *bufio.Reader
	stderr  *tail
	done    chan struct{} // closed once the process has exited
	state   *os.ProcessState
	Version string
}

func startProc(python string, memMB int, extraEnv []string, handshakeTimeout time.Duration) (*proc, error) {
	// -I: isolated mode, so a polars.py in the working folder cannot shadow the library.
	cmd := exec.Command(python, "-I", "-c", script)
	cmd.Env = append(os.Environ(), "POLARSWORKER_MEMORY_MB="+strconv.Itoa(memMB), "PYTHONDONTWRITEBYTECODE=1",
		// Keep Rust's abort message short, so it stays in the stderr tail.
		"RUST_BACKTRACE=0")
	cmd.Env = append(cmd.Env, extraEnv...)
	// Own process group: a timeout kills the worker and anything it started.
	// Pdeathsig: a worker stuck in a loop must not outlive a killed harness.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, stdin: stdin, out: bufio.NewReaderSize(stdout, 1<<16), stderr: &tail{max: 16 << 10}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("worker: starting %s: %w", python, err)
	}
	go func() {
		_ = cmd.Wait()
		p.state = cmd.ProcessState
		close(p.done)
	}()
	line := make(chan string, 1)
	go func() {
		s, _ := p.out.ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if !strings.HasPrefix(s, Handshake) {
			p.kill()
			return nil, fmt.Errorf("worker: no handshake from %s (got %q): %s", python, strings.TrimSpace(s), p.stderr.lastLine())
		}
		p.Version = strings.TrimSpace(strings.TrimPrefix(s, Handshake))
		return p, nil
	case <-time.After(handshakeTimeout):
		p.kill()
		return nil, fmt.Errorf("worker: no handshake from %s within %s", python, handshakeTimeout)
	}
}

// kill ends the worker's process group and waits for it; safe to call twice.
func (p *proc) kill() {
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-p.done
}

func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// request is the JSON header sent to the worker.
type request struct {
	Tables     []tableJSON `json:"tables"`
	Code       string      `json:"code"`
	HeadRows   int         `json:"head_rows"`
	WantRecord bool        `json:"want_record"`
	OutputCap  int         `json:"output_cap"`
}

type tableJSON struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Format string `json:"format"`
}

// reply is the JSON header the worker answers with; ipc_len bytes of Arrow IPC follow.
type reply struct {
	OK          bool   `json:"ok"`
	Kind        string `json:"kind"`
	Error       string `json:"error"`
	Fingerprint struct {
		Hash         string   `json:"hash"`
		Rows         int      `json:"rows"`
		Cols         int      `json:"cols"`
		Columns      []string `json:"columns"`
		Values       string   `json:"values"`
		ColumnValues []string `json:"column_values"`
	} `json:"fingerprint"`
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	Rows   int    `json:"rows"`
	IPCLen int    `json:"ipc_len"`
}

// maxFrame bounds a reply header: stdout and stderr are capped by the worker,
// so anything larger means a broken worker.
const maxFrame = 64 << 20

// roundTrip sends one request and reads its reply. It blocks until the worker
// answers or dies; the caller kills the worker to unblock it on timeout.
func (p *proc) roundTrip(req []byte) (reply, []byte, error) {
	var r reply
	frame := make([]byte, 4+len(req))
	binary.BigEndian.PutUint32(frame, uint32(len(req)))
	copy(frame[4:], req)
	if _, err := p.stdin.Write(frame); err != nil {
		return r, nil, err
	}
	var n [4]byte
	if _, err := io.ReadFull(p.out, n[:]); err != nil {
		return r, nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxFrame {
		return r, nil, fmt.Errorf("worker: reply header of %d bytes", size)
	}
	head := make([]byte, size)
	if _, err := io.ReadFull(p.out, head); err != nil {
		return r, nil, err
	}
	if err := json.Unmarshal(head, &r); err != nil {
		return r, nil, fmt.Errorf("worker: bad reply header: %w", err)
	}
	if r.IPCLen < 0 {
		return r, nil, errors.New("worker: negative ipc length")
	}
	ipcData := make([]byte, r.IPCLen)
	if _, err := io.ReadFull(p.out, ipcData); err != nil {
		return r, nil, err
	}
	return r, ipcData, nil
}

// tail keeps the last max bytes written to it (the worker's stderr, for diagnosing deaths).
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func (t *tail) reset() {
	t.mu.Lock()
	t.buf = t.buf[:0]
	t.mu.Unlock()
}

// lineWith returns the last line containing sub, else "".
func (t *tail) lineWith(sub string) string {
	lines := strings.Split(t.String(), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], sub) {
			return strings.TrimSpace(lines[i])
		}
	}
	return ""
}

func (t *tail) lastLine() string {
	s := strings.TrimSpace(t.String())
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
