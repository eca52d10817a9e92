package fingerprint

import (
	_ "embed"
	"strings"
)

// Python is the one Python source of the fingerprint (fingerprint.py): the
// runner's hash, shape and columns (runner_fingerprint), the names-insensitive
// fingerprint (values_fingerprint, values_contained) and both together
// (result_fingerprint). The Polars worker and the synth helper hold it at
// their Marker line (Splice); the judge runs it after the runner's script.
// It imports what it needs itself.
//
//go:embed fingerprint.py
var Python string

// Marker starts the line of a Python script where Splice puts Python.
const Marker = "# @fingerprint.py@"

// Splice returns script with its Marker line replaced by Python. A script
// without the marker is a mistake in the embedding package, caught when it
// loads: Splice panics.
func Splice(script string) string {
	i := strings.Index(script, Marker)
	if i < 0 {
		panic("fingerprint: the script has no " + Marker + " line")
	}
	end := len(script)
	if j := strings.IndexByte(script[i:], '\n'); j >= 0 {
		end = i + j + 1
	}
	return script[:i] + Python + script[end:]
}
