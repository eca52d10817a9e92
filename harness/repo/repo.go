// Package repo finds the project's own files (models, data, the Python venv)
// from wherever a binary or a test runs, so nothing hard-codes an absolute path.
package repo

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// DefaultModelFile is the model `harness serve` and `harness score` use when
// none is given and models/DEFAULT does not name another.
const DefaultModelFile = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"

// SmolModelFile is the small model tests use.
const SmolModelFile = "smollm2-135m-instruct-q4_1.gguf"

// Root returns the repository root: $HARNESS_ROOT, else the first folder holding
// go.mod or main.py+bin/ upward from the working folder, then from the executable.
func Root() (string, error) {
	if r := os.Getenv("HARNESS_ROOT"); r != "" {
		return r, nil
	}
	starts := []string{}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			if isRoot(d) {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", errors.New("cannot find the repository root (no go.mod or main.py upward); set HARNESS_ROOT")
}

func isRoot(d string) bool {
	if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
		return strings.HasPrefix(string(b), "module polarsbench")
	}
	_, errMain := os.Stat(filepath.Join(d, "main.py"))
	_, errBin := os.Stat(filepath.Join(d, "bin", "harness"))
	return errMain == nil && errBin == nil
}

// Path joins parts under the root; with no root it returns the parts joined as given.
func Path(parts ...string) string {
	r, err := Root()
	if err != nil {
		return filepath.Join(parts...)
	}
	return filepath.Join(append([]string{r}, parts...)...)
}

// Python returns the interpreter that runs Polars workers and judges:
// $HARNESS_PYTHON, else <root>/.venv/bin/python, else python3 on PATH.
func Python() string {
	if p := os.Getenv("HARNESS_PYTHON"); p != "" {
		return p
	}
	if p := Path(".venv", "bin", "python"); fileExists(p) {
		return p
	}
	if p, err := exec.LookPath("python3"); err == nil {
		return p
	}
	return "python3"
}

// DefaultModel returns $HARNESS_MODEL, else the file named in models/DEFAULT,
// else models/DefaultModelFile.
func DefaultModel() string {
	if m := os.Getenv("HARNESS_MODEL"); m != "" {
		return m
	}
	if b, err := os.ReadFile(Path("models", "DEFAULT")); err == nil {
		if name := strings.TrimSpace(string(b)); name != "" {
			if filepath.IsAbs(name) {
				return name
			}
			return Path("models", name)
		}
	}
	return Path("models", DefaultModelFile)
}

// Model returns models/<file>.
func Model(file string) string { return Path("models", file) }

// DataDir returns <root>/data, where `harness datasets tables` puts the parquet files.
func DataDir() string { return Path("data") }

// DevBench returns the organisers' 75 dev questions, bundled in the repository
// (a copy of ../shared/data/polarsbench/dev) so a fresh clone needs nothing outside it.
func DevBench() string { return Path("datasets", "polarsbench", "dev") }

// TableSources returns the gzip JSON-lines table sources bundled in the repository.
func TableSources() string { return Path("datasets", "polarsbench", "tables") }

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
