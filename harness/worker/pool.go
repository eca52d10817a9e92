// Package worker runs generated Polars code in warm, supervised Python workers.
// Each worker keeps the tables it has read, computes the runner's fingerprint and
// sends back the result rows as Arrow IPC. Code failures of every kind are
// Outcomes; a worker that hangs or dies is killed and replaced, the rest go on.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
)

// Options configures a Pool; zero values take the documented defaults.
type Options struct {
	Python         string           // interpreter with polars; required
	Workers        int              // 0 = runtime.NumCPU()
	QueueSize      int              // jobs waiting for a free worker beyond those running; 0 = Workers
	Timeout        time.Duration    // per job unless the Job sets one; 0 = 10s
	MemoryLimitMB  int              // RLIMIT_AS per worker; 0 = 4096, <0 = none
	OutputCapBytes int              // captured stdout/stderr per job; 0 = 64 KiB
	HeadRows       int              // rows decoded into Outcome.Head; 0 = 5
	Allocator      memory.Allocator // for decoded Arrow data; nil = memory.DefaultAllocator
	// PolarsThreads sets POLARS_MAX_THREADS in each worker; 0 leaves polars' default.
	PolarsThreads int
}

// Job is one piece of code to run over some tables.
type Job struct {
	Tables     []core.TableRef
	Code       string
	Timeout    time.Duration // 0 = Options.Timeout
	WantRecord bool          // return the whole result as Outcome.Record
}

// Outcome is what running one Job gave.
type Outcome struct {
	OK          bool
	ErrorKind   string // one of the core.Kind constants
	Error       string
	Fingerprint judge.Fingerprint
	Head        []map[string]any  // first HeadRows rows of the result
	Dtypes      []string          // the result's Polars dtypes, in Fingerprint.Columns order
	Record      arrow.RecordBatch // only when WantRecord; the caller must Release it
	Stdout      string            // captured, capped
	Stderr      string
	Elapsed     time.Duration
}

// Pool is a fixed set of workers fed from one queue.
type Pool struct {
	o       Options
	jobs    chan *task
	closing chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	// Version is the polars version the workers reported.
	Version string
}

type task struct {
	ctx  context.Context
	job  Job
	done chan Outcome
}

// ErrClosed is returned by Exec after Close.
var ErrClosed = errors.New("worker pool is closed")

const handshakeTimeout = 60 * time.Second

// NewPool starts the workers and waits for each handshake line.
func NewPool(ctx context.Context, o Options) (*Pool, error) {
	if o.Python == "" {
		return nil, errors.New("worker: Options.Python is empty")
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.QueueSize <= 0 {
		o.QueueSize = o.Workers
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MemoryLimitMB == 0 {
		o.MemoryLimitMB = 4096
	}
	if o.MemoryLimitMB < 0 {
		o.MemoryLimitMB = 0
	}
	if o.OutputCapBytes <= 0 {
		o.OutputCapBytes = 64 << 10
	}
	if o.HeadRows <= 0 {
		o.HeadRows = 5
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	p := &Pool{o: o, jobs: make(chan *task, o.QueueSize), closing: make(chan struct{})}
	// Start in parallel: each start is an interpreter plus a polars import.
	procs := make([]*proc, o.Workers)
	errs := make([]error, o.Workers)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			procs[i], errs[i] = p.start()
		}(i)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil || ctx.Err() != nil {
		for _, pr := range procs {
			if pr != nil {
				pr.kill()
			}
		}
		if err == nil {
			err = ctx.Err()
		}
		return nil, err
	}
	p.Version = procs[0].Version
	for _, pr := range procs {
		p.wg.Add(1)
		go p.serve(pr)
	}
	return p, nil
}

func (p *Pool) start() (*proc, error) {
	var env []string
	if p.o.PolarsThreads > 0 {
		env = append(env, "POLARS_MAX_THREADS="+strconv.Itoa(p.o.PolarsThreads))
	}
	return startProc(p.o.Python, p.o.MemoryLimitMB, env, handshakeTimeout)
}

// Exec runs one job. The error is only for a closed pool or a done ctx; every
// failure of the code itself is an Outcome.
func (p *Pool) Exec(ctx context.Context, j Job) (Outcome, error) {
	t := &task{ctx: ctx, job: j, done: make(chan Outcome, 1)}
	select {
	case <-p.closing:
		return Outcome{}, ErrClosed
	default:
	}
	select {
	case p.jobs <- t:
	case <-ctx.Done():
		return Outcome{}, ctx.Err()
	case <-p.closing:
		return Outcome{}, ErrClosed
	}
	select {
	case out := <-t.done:
		return out, nil
	case <-ctx.Done():
		// The serving goroutine sees ctx too, kills the worker and drops the outcome.
		return Outcome{}, ctx.Err()
	case <-p.closing:
		return Outcome{}, ErrClosed
	}
}

// Close stops the workers; running jobs are abandoned. Safe to call twice.
func (p *Pool) Close() error {
	p.once.Do(func() { close(p.closing) })
	p.wg.Wait()
	return nil
}

// serve owns one worker slot: it runs jobs and replaces the process after a death.
func (p *Pool) serve(pr *proc) {
	defer p.wg.Done()
	defer func() {
		if pr != nil {
			pr.kill()
		}
	}()
	for {
		var t *task
		select {
		case <-p.closing:
			return
		case t = <-p.jobs:
		}
		if t.ctx.Err() != nil {
			continue
		}
		if pr == nil || !pr.alive() {
			var err error
			if pr, err = p.start(); err != nil {
				pr = nil
				t.done <- Outcome{ErrorKind: core.KindCrashed, Error: "restarting the worker: " + err.Error()}
				continue
			}
		}
		out, healthy := p.run(pr, t)
		if !healthy {
			pr.kill()
			pr = nil
		}
		t.done <- out
	}
}

// run executes t on pr. healthy is false when the worker was killed or died.
func (p *Pool) run(pr *proc, t *task) (Outcome, bool) {
	start := time.Now()
	timeout := t.job.Timeout
	if timeout <= 0 {
		timeout = p.o.Timeout
	}
	req := request{Code: t.job.Code, HeadRows: p.o.HeadRows, WantRecord: t.job.WantRecord, OutputCap: p.o.OutputCapBytes}
	for _, tb := range t.job.Tables {
		req.Tables = append(req.Tables, tableJSON{Name: tb.Name, Path: tb.Path, Format: tb.Format})
	}
	body, err := json.Marshal(req)
	if err != nil {
		return Outcome{ErrorKind: core.KindOutput, Error: err.Error()}, true
	}
	type result struct {
		r   reply
		ipc []byte
		err error
	}
	pr.stderr.Reset()
	ch := make(chan result, 1)
	go func() {
		r, ipcData, err := pr.roundTrip(body)
		ch <- result{r, ipcData, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var res result
	select {
	case res = <-ch:
	case <-timer.C:
		pr.kill()
		<-ch
		return Outcome{ErrorKind: core.KindTimeout, Error: fmt.Sprintf("timeout: the code ran longer than %s", timeout), Elapsed: time.Since(start)}, false
	case <-t.ctx.Done():
		pr.kill()
		<-ch
		return Outcome{ErrorKind: core.KindTimeout, Error: t.ctx.Err().Error(), Elapsed: time.Since(start)}, false
	case <-p.closing:
		pr.kill()
		<-ch
		return Outcome{ErrorKind: core.KindCrashed, Error: ErrClosed.Error(), Elapsed: time.Since(start)}, false
	}
	if res.err != nil {
		pr.kill() // it may be half-dead; make sure, and collect its exit status
		kind, msg := p.death(pr)
		return Outcome{ErrorKind: kind, Error: msg, Elapsed: time.Since(start)}, false
	}
	out := Outcome{OK: res.r.OK, ErrorKind: res.r.Kind, Error: res.r.Error, Stdout: res.r.Stdout, Stderr: res.r.Stderr, Dtypes: res.r.Dtypes}
	fp := res.r.Fingerprint
	if fp.Columns == nil {
		fp.Columns = []string{}
	}
	if fp.Values == "" {
		fp.ColumnValues = nil // column hashes only come with the values fingerprint
	}
	out.Fingerprint = fp
	if out.OK {
		head, rec, err := decode(res.ipc, p.o.Allocator, p.o.HeadRows, t.job.WantRecord)
		if err != nil {
			out.OK, out.ErrorKind, out.Error = false, core.KindOutput, "decoding the result: "+err.Error()
		} else {
			out.Head, out.Record = head, rec
		}
	}
	out.Elapsed = time.Since(start)
	return out, true
}

// death explains why a worker died during a job: an allocation failure under the
// memory limit aborts polars (Rust) with a message on stderr; anything else crashed.
func (p *Pool) death(pr *proc) (string, string) {
	how := "exited"
	if st := pr.State(); st != nil {
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			how = "killed by signal " + ws.Signal().String()
		} else {
			how = fmt.Sprintf("exited with status %d", st.ExitCode())
		}
	}
	for _, sign := range []string{"memory allocation of", "MemoryError", "out of memory"} {
		if l := pr.stderr.LineWith(sign); l != "" {
			return core.KindMemory, fmt.Sprintf("out of memory: the worker %s (limit %d MB): %s", how, p.o.MemoryLimitMB, l)
		}
	}
	msg := "the worker " + how + " while running the code"
	if l := pr.stderr.LastLine(); l != "" {
		msg += ": " + l
	}
	return core.KindCrashed, msg
}
