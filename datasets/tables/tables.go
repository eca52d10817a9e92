// Package tables builds the bench tables (parquet) from their gzip JSON-lines
// sources, the way the organisers built them.
package tables

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed build_tables.py
var buildTablesPy string

// Build writes out/<name>.parquet for every src/<name>.jsonl.gz as the
// organisers did (pl.DataFrame(rows).write_parquet, rows in file order), using
// python, which must have polars. A table whose parquet is newer than its source
// and looks whole is skipped, so a second run does nothing.
func Build(src, out, python string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("tables: source folder: %w", err)
	}
	sources, err := filepath.Glob(filepath.Join(src, "*.jsonl.gz"))
	if err != nil {
		return err
	}
	if len(sources) == 0 {
		return fmt.Errorf("tables: no *.jsonl.gz files in %s", src)
	}
	sort.Strings(sources)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("tables: %w", err)
	}
	var todo [][2]string
	for _, s := range sources {
		dst := filepath.Join(out, strings.TrimSuffix(filepath.Base(s), ".jsonl.gz")+".parquet")
		if parquetUpToDate(s, dst) {
			continue
		}
		todo = append(todo, [2]string{s, dst})
	}
	if len(todo) == 0 {
		return nil
	}
	list, err := json.Marshal(todo)
	if err != nil {
		return err
	}
	// One interpreter for all tables: starting Python with polars costs more than a table.
	cmd := exec.Command(python, "-I", "-c", buildTablesPy)
	cmd.Stdin = bytes.NewReader(list)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("tables: %s", buildErrLine(msg))
		}
		return fmt.Errorf("tables: running %s: %w", python, err)
	}
	return nil
}

// parquetUpToDate reports whether dst is newer than src and has parquet's magic at both ends.
func parquetUpToDate(src, dst string) bool {
	ss, err := os.Stat(src)
	if err != nil {
		return false
	}
	ds, err := os.Stat(dst)
	if err != nil || ds.ModTime().Before(ss.ModTime()) || ds.Size() < 12 {
		return false
	}
	f, err := os.Open(dst)
	if err != nil {
		return false
	}
	defer f.Close()
	head, foot := make([]byte, 4), make([]byte, 4)
	if _, err := f.ReadAt(head, 0); err != nil {
		return false
	}
	if _, err := f.ReadAt(foot, ds.Size()-4); err != nil {
		return false
	}
	return string(head) == "PAR1" && string(foot) == "PAR1"
}

func buildErrLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
