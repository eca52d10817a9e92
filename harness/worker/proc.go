package worker

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"polarsbench/harness/fingerprint"
	procpkg "polarsbench/harness/proc"
)

//go:embed worker.py
var workerSource string

// script is the worker with the fingerprint's code put in at its marker:
// harness/fingerprint's Python is the one source of that code for the
// worker, the synth helper and the judge.
var script = fingerprint.Splice(workerSource)

// Script returns the embedded Python worker source (for diagnostics and tests).
func Script() string { return script }

// Handshake is the prefix of the worker's first line.
const Handshake = "POLARSWORKER 1 "

// proc is one running Python worker: a child process behind Start/Kill/Wait.
type proc struct {
	*procpkg.Process
	stdin   io.WriteCloser
	out     *bufio.Reader
	stderr  *procpkg.Tail
	Version string
}

func startProc(python string, memMB int, extraEnv []string, handshakeTimeout time.Duration) (*proc, error) {
	// -I: isolated mode, so a polars.py in the working folder cannot shadow the library.
	// Own process group: a timeout kills the worker and anything it started.
	// Pdeathsig (proc's default SIGKILL): a worker stuck in a loop must not outlive a killed harness.
	cp, err := procpkg.Start(context.Background(), procpkg.Spec{
		Path: python, Args: []string{"-I", "-c", script},
		Env: append([]string{"POLARSWORKER_MEMORY_MB=" + strconv.Itoa(memMB), "PYTHONDONTWRITEBYTECODE=1",
			// Keep Rust's abort message short, so it stays in the stderr tail.
			"RUST_BACKTRACE=0"}, extraEnv...),
		Stdin: true, Stdout: true, TailBytes: 16 << 10,
	})
	if err != nil {
		return nil, fmt.Errorf("worker: starting %s: %w", python, err)
	}
	p := &proc{Process: cp, stdin: cp.Stdin(), out: bufio.NewReaderSize(cp.Stdout(), 1<<16), stderr: cp.Tail()}
	v, err := procpkg.Handshake(p.out, Handshake, handshakeTimeout)
	var he *procpkg.HandshakeError
	switch {
	case err == nil:
		p.Version = v
		return p, nil
	case errors.As(err, &he) && he.Timeout == 0:
		p.kill()
		return nil, fmt.Errorf("worker: no handshake from %s (got %q): %s", python, he.Got, p.stderr.LastLine())
	default:
		p.kill()
		return nil, fmt.Errorf("worker: no handshake from %s within %s", python, handshakeTimeout)
	}
}

// kill ends the worker's process group and waits for it; safe to call twice.
func (p *proc) kill() { p.Kill() }

func (p *proc) alive() bool { return p.Alive() }

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
	OK          bool                    `json:"ok"`
	Kind        string                  `json:"kind"`
	Error       string                  `json:"error"`
	Fingerprint fingerprint.Fingerprint `json:"fingerprint"`
	Stdout      string                  `json:"stdout"`
	Stderr      string                  `json:"stderr"`
	Rows        int                     `json:"rows"`
	Dtypes      []string                `json:"dtypes"`
	IPCLen      int                     `json:"ipc_len"`
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
