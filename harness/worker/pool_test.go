package worker

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
	"polarsbench/harness/repo"
)

func python(t testing.TB) string {
	t.Helper()
	py := repo.Python()
	if _, err := os.Stat(py); err != nil {
		t.Skipf("no Python venv at %s (run make venv)", py)
	}
	return py
}

func films(t testing.TB) []core.TableRef {
	t.Helper()
	p := filepath.Join(repo.DataDir(), "sk_films.parquet")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no built tables: %v", err)
	}
	return []core.TableRef{{Name: "sk_films", Path: p, Format: "parquet"}}
}

func newPool(t testing.TB, o Options) *Pool {
	t.Helper()
	if o.Python == "" {
		o.Python = python(t)
	}
	p, err := NewPool(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

const goodCode = `result = sk_films.filter(pl.col("rating") == "R").select("film_id", "title")`

func TestExecMatchesJudge(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := newPool(t, Options{Workers: 1, Allocator: mem})
	if !strings.HasPrefix(p.Version, "1.") {
		t.Fatalf("handshake version %q", p.Version)
	}
	tables := films(t)
	out, err := p.Exec(context.Background(), Job{Tables: tables, Code: "print('hello')\n" + goodCode})
	if err != nil {
		t.Fatal(err)
	}
	if !out.OK {
		t.Fatalf("not ok: %s %s", out.ErrorKind, out.Error)
	}
	v, err := judge.Run(context.Background(), python(t), tables, goodCode, time.Minute)
	if err != nil || !v.OK {
		t.Fatalf("judge: %v %+v", err, v)
	}
	if !out.Fingerprint.Equal(v.Fingerprint) {
		t.Fatalf("pool %+v != judge %+v", out.Fingerprint, v.Fingerprint)
	}
	if out.Stdout != "hello\n" {
		t.Fatalf("stdout %q", out.Stdout)
	}
	if len(out.Head) != 5 || out.Head[0]["title"] == nil || len(out.Head[0]) != 2 {
		t.Fatalf("head %v", out.Head)
	}
	if len(out.Dtypes) != 2 || out.Dtypes[1] != "String" {
		t.Fatalf("dtypes %v, want the result's two Polars dtypes", out.Dtypes)
	}
	if out.Record != nil {
		t.Fatal("record without WantRecord")
	}
}

func TestWantRecord(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := newPool(t, Options{Workers: 1, Allocator: mem})
	// Two chunks (vstack without rechunk) exercise the concatenation.
	code := `a = sk_films.select("film_id", "rating")
result = a.vstack(a)`
	out, err := p.Exec(context.Background(), Job{Tables: films(t), Code: code, WantRecord: true})
	if err != nil || !out.OK {
		t.Fatalf("%v %+v", err, out)
	}
	defer out.Record.Release()
	if int(out.Record.NumRows()) != out.Fingerprint.Rows || out.Record.NumCols() != 2 {
		t.Fatalf("record %d rows, fingerprint %d", out.Record.NumRows(), out.Fingerprint.Rows)
	}
}

// TestTablesNotShared checks that in-place changes by one job do not leak into the next.
func TestTablesNotShared(t *testing.T) {
	p := newPool(t, Options{Workers: 1})
	ctx := context.Background()
	out, _ := p.Exec(ctx, Job{Tables: films(t), Code: "sk_films.drop_in_place('title')\nresult = sk_films"})
	if !out.OK || out.Fingerprint.Cols != 10 {
		t.Fatalf("%+v", out)
	}
	out, _ = p.Exec(ctx, Job{Tables: films(t), Code: "result = sk_films"})
	if !out.OK || out.Fingerprint.Cols != 11 {
		t.Fatalf("table changed between jobs: %+v", out)
	}
}

func TestHostile(t *testing.T) {
	p := newPool(t, Options{Workers: 1, MemoryLimitMB: 2048, Timeout: 5 * time.Second})
	ctx := context.Background()
	tables := films(t)
	good, err := p.Exec(ctx, Job{Tables: tables, Code: goodCode})
	if err != nil || !good.OK {
		t.Fatalf("%v %+v", err, good)
	}
	cases := []struct {
		name, code, kind, msg string
		timeout               time.Duration
	}{
		{"infinite loop", "while True:\n    pass", core.KindTimeout, "timeout", time.Second},
		{"20 GB polars", "s = pl.Series('a', [1]).new_from_index(0, 2_500_000_000)\nresult = s.to_frame()", core.KindMemory, "memory", 0},
		{"20 GB python", "x = bytearray(20 * 10**9)\nresult = sk_films", core.KindMemory, "MemoryError", 0},
		{"os.system", "import os\nos.system('touch /tmp/pwned')", core.KindForbidden, "os", 0},
		{"subprocess", "import subprocess\nsubprocess.run(['true'])", core.KindForbidden, "subprocess", 0},
		{"socket", "import socket\ns = socket.socket()", core.KindForbidden, "socket", 0},
		{"open for write", "f = open('/tmp/pwned', 'w')", core.KindForbidden, "open", 0},
		{"polars write", "sk_films.write_parquet('/tmp/pwned.parquet')\nresult = sk_films", core.KindForbidden, "write_parquet", 0},
		{"import numpy", "import numpy as np\nresult = sk_films", core.KindForbidden, "numpy", 0},
		{"dunder escape", "result = ().__class__.__base__.__subclasses__()", core.KindForbidden, "__", 0},
		{"syntax", "result = (", core.KindSyntax, "SyntaxError", 0},
		{"no result", "x = sk_films.head(1)", core.KindNoResult, "result", 0},
		{"lazyframe", "result = sk_films.lazy()", core.KindLazyFrame, "runner rejects", 0},
		{"series", "result = sk_films['title']", core.KindNotDataFrame, "Series", 0},
		{"scalar", "result = 3", core.KindNotDataFrame, "int", 0},
		{"runtime", "result = sk_films.select(pl.col('nope'))", core.KindRuntime, "nope", 0},
		{"sys.exit", "import sys\nsys.exit(1)", core.KindForbidden, "sys", 0},
		{"raise SystemExit", "raise SystemExit(3)", core.KindRuntime, "SystemExit", 0},
		{"kill self", "import os\nos.kill(os.getpid(), 9)", core.KindForbidden, "os", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := p.Exec(ctx, Job{Tables: tables, Code: c.code, Timeout: c.timeout})
			if err != nil {
				t.Fatal(err)
			}
			if out.OK || out.ErrorKind != c.kind || !strings.Contains(out.Error, c.msg) {
				t.Fatalf("want %s containing %q, got ok=%v %s: %s", c.kind, c.msg, out.OK, out.ErrorKind, out.Error)
			}
			after, err := p.Exec(ctx, Job{Tables: tables, Code: goodCode})
			if err != nil || !after.OK || !after.Fingerprint.Equal(good.Fingerprint) {
				t.Fatalf("pool broken after %s: %v %+v", c.name, err, after)
			}
		})
	}
	if _, err := os.Stat("/tmp/pwned"); err == nil {
		t.Fatal("hostile code wrote /tmp/pwned")
	}
}

func TestPrintHundredMB(t *testing.T) {
	p := newPool(t, Options{Workers: 1, OutputCapBytes: 1000})
	out, err := p.Exec(context.Background(), Job{Tables: films(t), Code: "print('x' * 100_000_000)\n" + goodCode})
	if err != nil || !out.OK {
		t.Fatalf("%v %+v", err, out)
	}
	if len(out.Stdout) > 1100 || !strings.Contains(out.Stdout, "characters dropped") {
		t.Fatalf("stdout not capped: %d bytes", len(out.Stdout))
	}
}

// TestCrashReplaced kills the worker from outside while it runs a job: that job
// is "crashed", and the pool serves the next one with a fresh worker.
func TestCrashReplaced(t *testing.T) {
	p := newPool(t, Options{Workers: 1})
	ctx := context.Background()
	done := make(chan Outcome, 1)
	go func() {
		out, _ := p.Exec(ctx, Job{Tables: films(t), Code: "while True:\n    pass", Timeout: time.Minute})
		done <- out
	}()
	time.Sleep(500 * time.Millisecond)
	pids := workerPIDs(t)
	if len(pids) != 1 {
		t.Fatalf("want one worker process, found %v", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGSEGV); err != nil {
		t.Fatal(err)
	}
	out := <-done
	if out.ErrorKind != core.KindCrashed || !strings.Contains(out.Error, "signal") {
		t.Fatalf("%+v", out)
	}
	after, err := p.Exec(ctx, Job{Tables: films(t), Code: goodCode})
	if err != nil || !after.OK {
		t.Fatalf("%v %+v", err, after)
	}
}

// TestTimeoutIsolated: one job hanging does not delay another on a second worker.
func TestTimeoutIsolated(t *testing.T) {
	p := newPool(t, Options{Workers: 2})
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(1)
	var slow Outcome
	go func() {
		defer wg.Done()
		slow, _ = p.Exec(ctx, Job{Tables: films(t), Code: "while True:\n    pass", Timeout: 3 * time.Second})
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	out, err := p.Exec(ctx, Job{Tables: films(t), Code: goodCode})
	if err != nil || !out.OK || time.Since(start) > 2*time.Second {
		t.Fatalf("good job blocked: %v %+v after %s", err, out, time.Since(start))
	}
	wg.Wait()
	if slow.ErrorKind != core.KindTimeout {
		t.Fatalf("%+v", slow)
	}
}

func TestClosed(t *testing.T) {
	p := newPool(t, Options{Workers: 1})
	p.Close()
	if _, err := p.Exec(context.Background(), Job{Code: "result = pl.DataFrame()"}); err != ErrClosed {
		t.Fatalf("got %v", err)
	}
	if _, err := NewPool(context.Background(), Options{Python: "/nonexistent/python"}); err == nil {
		t.Fatal("no error for a missing interpreter")
	}
}

// workerPIDs lists this test process's children running the worker script.
func workerPIDs(t *testing.T) []int {
	t.Helper()
	me := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the ")" closing the command name: state, ppid, ...
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(me) {
			cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if strings.Contains(string(cmdline), "POLARSWORKER") {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}
