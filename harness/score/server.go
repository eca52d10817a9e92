package score

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"polarsbench/harness/proc"
)

// ServerSpec says how to start `harness serve` as a child process.
type ServerSpec struct {
	Exe    string // the harness binary (os.Executable())
	Model  string
	Config string   // optional --config
	K      int      // optional --k (0: the server's default)
	Log    string   // --log: one JSON line per question
	Output string   // file for the child's stdout and stderr
	Extra  []string // more serve flags, passed through as given
}

// Server is a running child `harness serve`.
type Server struct {
	Addr string
	p    *proc.Process
	out  *os.File
	once sync.Once
}

// FreePort asks the kernel for an unused loopback port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartServer starts the child on a free loopback port. It does not wait
// for readiness: use Client.WaitReady with Server.Alive.
func StartServer(spec ServerSpec) (*Server, error) {
	if spec.Model == "" {
		return nil, errors.New("server: no model given")
	}
	if _, err := os.Stat(spec.Model); err != nil {
		return nil, fmt.Errorf("server: model %s: %w", spec.Model, err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("server: free port: %w", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"serve", "--model", spec.Model, "--addr", addr}
	if spec.Log != "" {
		args = append(args, "--log", spec.Log)
	}
	if spec.Config != "" {
		args = append(args, "--config", spec.Config)
	}
	if spec.K > 0 {
		args = append(args, "--k", strconv.Itoa(spec.K))
	}
	args = append(args, spec.Extra...)
	// Its own process group: a terminal Ctrl-C reaches only the scorer, which
	// then stops the server itself after recording what was scored.
	// Pdeathsig: if the scorer itself is killed, the server does not outlive it.
	ps := proc.Spec{Path: spec.Exe, Args: args, DeathSignal: syscall.SIGTERM}
	var out *os.File
	if spec.Output != "" {
		out, err = os.OpenFile(spec.Output, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
		ps.StdoutTo, ps.StderrTo = out, out
	}
	p, err := proc.Start(context.Background(), ps)
	if err != nil {
		if out != nil {
			out.Close()
		}
		return nil, fmt.Errorf("server: start %s: %w", spec.Exe, err)
	}
	return &Server{Addr: addr, p: p, out: out}, nil
}

// PID is the child's process id, the root of the tree whose RSS is measured.
func (s *Server) PID() int { return s.p.PID() }

// Alive returns an error once the child has exited, naming its output file's tail.
func (s *Server) Alive() error {
	select {
	case <-s.p.Done():
		msg := fmt.Sprintf("server exited early (%v)", s.p.Err())
		if s.out != nil {
			if tail := tailOf(s.out.Name(), 400); tail != "" {
				msg += ": " + tail
			}
		}
		return errors.New(msg)
	default:
		return nil
	}
}

// Stop sends SIGTERM to the child's group, then SIGKILL after grace. Safe to call twice.
func (s *Server) Stop(grace time.Duration) {
	s.once.Do(func() {
		s.p.Stop(grace)
		s.p.Kill()
		if s.out != nil {
			s.out.Close()
		}
	})
}

func tailOf(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.ReplaceAll(b, []byte("\n"), []byte(" | ")))
}
