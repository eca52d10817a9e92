// Package proc starts child processes the one careful way: each in its own
// process group (a stop reaches everything it started), killed if the parent
// dies (Linux Pdeathsig), stopped gracefully when its context ends (a signal to
// the group, then SIGKILL after a grace period), with a bounded tail of its
// output kept for error messages. It is the single child-process client of the
// project (see hashicorp/go-plugin): Start, Wait, Stop, Kill, and a handshake
// line read before use.
package proc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultTail is how much of a child's stderr is kept when Spec.TailBytes is 0.
const DefaultTail = 16 << 10

// DefaultGrace is how long a stopped child may take to exit before SIGKILL
// when Spec.Grace is 0.
const DefaultGrace = 10 * time.Second

// Spec says how to start a child.
type Spec struct {
	Path string
	Args []string
	// Env is added to the parent's environment; nil inherits it unchanged.
	Env []string
	Dir string // working folder ("": the parent's)
	// Stdin and Stdout ask for pipes: Process.Stdin and Process.Stdout. The
	// pipes belong to the caller until Kill: waiting for the child never closes
	// them, so what the child wrote before exiting can still be read.
	Stdin, Stdout bool
	// StdoutTo receives stdout when it is not piped (nil: discarded).
	StdoutTo io.Writer
	// StderrTo receives stderr besides the tail. An *os.File is handed to the
	// child as is (both output streams may share it) and then no tail is kept.
	StderrTo io.Writer
	// TailStdout keeps stdout in the tail too (stdout not piped).
	TailStdout bool
	// TailBytes bounds the tail (0: DefaultTail).
	TailBytes int
	// StopSignal goes to the group when the context ends or Stop is called
	// (0: SIGTERM); SIGKILL follows after Grace (0: DefaultGrace).
	StopSignal syscall.Signal
	Grace      time.Duration
	// DeathSignal is what the child gets when the parent dies (0: SIGKILL).
	DeathSignal syscall.Signal
}

// Process is one running child and its process group.
type Process struct {
	cmd    *exec.Cmd
	spec   Spec
	tail   *Tail
	stdin  *os.File // parent's write end
	stdout *os.File // parent's read end
	done   chan struct{}
	err    error // cmd.Wait's, valid once done is closed

	stopOnce sync.Once
	killOnce sync.Once
}

// Start starts the child. When ctx ends the child is stopped (Stop with the
// spec's grace); pass context.Background() for a child only Stop or Kill end.
func Start(ctx context.Context, spec Spec) (*Process, error) {
	if spec.TailBytes <= 0 {
		spec.TailBytes = DefaultTail
	}
	if spec.StopSignal == 0 {
		spec.StopSignal = syscall.SIGTERM
	}
	if spec.Grace <= 0 {
		spec.Grace = DefaultGrace
	}
	if spec.DeathSignal == 0 {
		spec.DeathSignal = syscall.SIGKILL
	}
	cmd := exec.Command(spec.Path, spec.Args...)
	if spec.Env != nil {
		cmd.Env = append(os.Environ(), spec.Env...)
	}
	cmd.Dir = spec.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: spec.DeathSignal}
	// Copying to a non-file writer ends at most Grace after the child exits,
	// even if a grandchild still holds the stream.
	cmd.WaitDelay = spec.Grace
	p := &Process{cmd: cmd, spec: spec, tail: NewTail(spec.TailBytes), done: make(chan struct{})}

	if f, ok := spec.StderrTo.(*os.File); ok {
		cmd.Stderr = f
	} else if spec.StderrTo != nil {
		cmd.Stderr = io.MultiWriter(spec.StderrTo, p.tail)
	} else {
		cmd.Stderr = p.tail
	}
	var childEnds []*os.File
	closeAll := func() {
		for _, f := range append(childEnds, p.stdin, p.stdout) {
			if f != nil {
				f.Close()
			}
		}
	}
	switch {
	case spec.Stdout:
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		p.stdout, cmd.Stdout = r, w
		childEnds = append(childEnds, w)
	case spec.TailStdout && spec.StdoutTo != nil:
		cmd.Stdout = io.MultiWriter(spec.StdoutTo, p.tail)
	case spec.TailStdout:
		cmd.Stdout = p.tail
	default:
		cmd.Stdout = spec.StdoutTo
	}
	if spec.Stdin {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll()
			return nil, err
		}
		p.stdin, cmd.Stdin = w, r
		childEnds = append(childEnds, r)
	}
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, err
	}
	for _, f := range childEnds {
		f.Close() // the child holds them now; EOF comes when it (and its group) exits
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	if ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				p.Stop(spec.Grace)
			case <-p.done:
			}
		}()
	}
	return p, nil
}

// Stdin is the write end of the child's stdin pipe (Spec.Stdin).
func (p *Process) Stdin() io.WriteCloser { return p.stdin }

// Stdout is the read end of the child's stdout pipe (Spec.Stdout).
func (p *Process) Stdout() io.Reader { return p.stdout }

// Tail is the bounded tail of the child's stderr (and stdout with TailStdout).
func (p *Process) Tail() *Tail { return p.tail }

// PID is the child's process id, also its process group id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed once the child has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Alive reports whether the child has not exited yet.
func (p *Process) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// State is the child's exit state; nil until it has exited.
func (p *Process) State() *os.ProcessState {
	select {
	case <-p.done:
		return p.cmd.ProcessState
	default:
		return nil
	}
}

// Wait waits for the child to exit. A non-zero exit is an *ExitError carrying
// the tail's last line.
func (p *Process) Wait() error {
	<-p.done
	return p.exitErr()
}

// Err is Wait's error without waiting: nil while the child runs.
func (p *Process) Err() error {
	select {
	case <-p.done:
		return p.exitErr()
	default:
		return nil
	}
}

func (p *Process) exitErr() error {
	if p.err == nil {
		return nil
	}
	return &ExitError{Err: p.err, Tail: p.tail.LastLine()}
}

// Stop sends the stop signal to the child's group, waits up to grace for the
// child to exit, then kills what is left of the group (a grandchild that
// ignored the signal would otherwise hold the output pipes open). Safe to
// call twice and concurrently; the pipes stay open (Kill closes them).
func (p *Process) Stop(grace time.Duration) {
	p.stopOnce.Do(func() {
		p.signal(p.spec.StopSignal)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.done:
		case <-t.C:
		}
		p.signal(syscall.SIGKILL)
	})
	<-p.done
}

// Kill kills the child's whole group (whatever it started too), waits for the
// child and closes the parent's pipe ends. Safe to call twice, also after the
// child exited: it then only ends what the child left behind in its group.
func (p *Process) Kill() {
	p.signal(syscall.SIGKILL)
	<-p.done
	p.killOnce.Do(func() {
		if p.stdin != nil {
			p.stdin.Close()
		}
		if p.stdout != nil {
			p.stdout.Close()
		}
	})
}

func (p *Process) signal(sig syscall.Signal) {
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
}

// ExitError is a child's failure with the last line of its output tail.
type ExitError struct {
	Err  error  // from os/exec: an *exec.ExitError for a non-zero exit
	Tail string // the tail's last line, "" when it said nothing
}

func (e *ExitError) Error() string {
	if e.Tail == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Tail
}

func (e *ExitError) Unwrap() error { return e.Err }

// Run starts the child, waits for it and returns Wait's error. A child
// stopped because ctx ended gives ctx's error.
func Run(ctx context.Context, spec Spec) (*Process, error) {
	p, err := Start(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer p.Kill()
	err = p.Wait()
	if ctx.Err() != nil {
		return p, ctx.Err()
	}
	return p, err
}

// HandshakeError is a child that did not say its handshake line in time.
type HandshakeError struct {
	Got     string        // the line it said instead ("" on timeout)
	Timeout time.Duration // non-zero when no line came in time
}

func (e *HandshakeError) Error() string {
	if e.Timeout > 0 {
		return fmt.Sprintf("no handshake within %s", e.Timeout)
	}
	return fmt.Sprintf("no handshake (got %q)", e.Got)
}

// Handshake reads the child's first line within timeout and checks that it
// starts with prefix; it returns the rest of the line, trimmed. On timeout
// the read is left pending: kill the child, which ends it.
func Handshake(r *bufio.Reader, prefix string, timeout time.Duration) (string, error) {
	line := make(chan string, 1)
	go func() {
		s, _ := r.ReadString('\n')
		line <- s
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case s := <-line:
		if !strings.HasPrefix(s, prefix) {
			return "", &HandshakeError{Got: strings.TrimSpace(s)}
		}
		return strings.TrimSpace(strings.TrimPrefix(s, prefix)), nil
	case <-t.C:
		return "", &HandshakeError{Timeout: timeout}
	}
}
