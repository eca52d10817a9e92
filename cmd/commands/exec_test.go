package commands

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"polarsbench/harness/repo"
)

// runRoot runs the command line and returns stdout and the exit status Execute would give.
func runRoot(args ...string) (string, int) {
	out, err := execute(args...)
	return out, inferExitCode(err)
}

func TestExecCommand(t *testing.T) {
	if _, err := os.Stat(repo.Python()); err != nil {
		t.Skipf("no venv: %v", err)
	}
	films := "sk_films=" + filepath.Join(repo.DataDir(), "sk_films.parquet")
	out, code := runRoot("exec", "--table", films, "--code", `result = sk_films.select("title")`, "--json")
	var res execResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.OK || res.Fingerprint.Cols != 1 || len(res.Head) != 5 {
		t.Fatalf("ok run: exit %d, %s", code, out)
	}
	out, code = runRoot("exec", "--table", films, "--code", "result = sk_films.lazy()", "--json")
	if code != 1 || json.Unmarshal([]byte(out), &res) != nil || res.ErrorKind != "lazyframe" {
		t.Fatalf("lazy: exit %d, %s", code, out)
	}
	for _, args := range [][]string{
		{"exec", "--table", films},                                // no code
		{"exec", "--table", "x=/no/such.parquet", "--code", "x"},  // missing file
		{"exec", "--table", "x=a.txt", "--code", "x"},             // unknown format
		{"exec", "--table", films, "--code", "@/no/such/file.py"}, // unreadable code file
		{"exec", "--table", "a-b=" + films[9:], "--code", "x"},    // not an identifier
	} {
		if _, code := runRoot(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
