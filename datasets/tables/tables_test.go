package tables

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"polarsbench/harness/repo"
)

func tablesPython(t *testing.T) string {
	t.Helper()
	py := repo.Python()
	if _, err := os.Stat(py); err != nil {
		t.Skipf("no Python venv at %s (run make venv)", py)
	}
	return py
}

// TestBuildTablesIdentical rebuilds every table and compares it byte for byte
// with data/, which holds the files built the runner's way.
func TestBuildTablesIdentical(t *testing.T) {
	py := tablesPython(t)
	out := t.TempDir()
	if err := Build(repo.TableSources(), out, py); err != nil {
		t.Fatal(err)
	}
	built, _ := filepath.Glob(filepath.Join(out, "*.parquet"))
	if len(built) != 59 {
		t.Fatalf("built %d tables, want 59", len(built))
	}
	for _, b := range built {
		want, err := os.ReadFile(filepath.Join(repo.DataDir(), filepath.Base(b)))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(b)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from data/", filepath.Base(b))
		}
	}
	// A second run rebuilds nothing: the mtimes stay.
	before, _ := os.Stat(built[0])
	time.Sleep(10 * time.Millisecond)
	if err := Build(repo.TableSources(), out, py); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(built[0])
	if !after.ModTime().Equal(before.ModTime()) {
		t.Fatal("second run rebuilt an up-to-date table")
	}
	// A truncated output is rebuilt.
	if err := os.WriteFile(built[0], []byte("PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Build(repo.TableSources(), out, py); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(built[0]); st.Size() < 100 {
		t.Fatal("broken output was not rebuilt")
	}
}

func TestBuildTablesErrors(t *testing.T) {
	py := tablesPython(t)
	src, out := t.TempDir(), t.TempDir()
	if err := Build(src, out, py); err == nil || !strings.Contains(err.Error(), "no *.jsonl.gz") {
		t.Fatalf("empty folder: %v", err)
	}
	// Not gzip at all.
	bad := filepath.Join(src, "bad.jsonl.gz")
	os.WriteFile(bad, []byte("not gzip"), 0o644)
	if err := Build(src, out, py); err == nil || !strings.Contains(err.Error(), "bad.jsonl.gz") {
		t.Fatalf("corrupt gzip: %v", err)
	}
	// Gzip, but a line is not JSON.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("{\"a\": 1}\n{oops\n"))
	zw.Close()
	os.WriteFile(bad, buf.Bytes(), 0o644)
	err := Build(src, out, py)
	if err == nil || !strings.Contains(err.Error(), "bad.jsonl.gz") || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bad json: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "bad.parquet")); err == nil {
		t.Fatal("a failed build left an output file")
	}
}
