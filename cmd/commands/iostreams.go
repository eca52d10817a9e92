package commands

import (
	"bytes"
	"io"
	"os"
	"strings"
)

// IOStreams are the standard streams of one command line (after cli/cli's
// iostreams): Execute makes them once from the process's streams and NewRoot
// hands them to every command, so no command writes to os.Stdout or os.Stderr
// itself and a test can capture what a command prints.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer // results: what a script would read
	ErrOut io.Writer // progress, logs, notes and the final error
}

// System is the process's own stdin, stdout and stderr.
func System() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
}

// TestStreams are streams over buffers: empty input, and what the command
// writes to Out and ErrOut.
func TestStreams() (ios *IOStreams, out, errOut *bytes.Buffer) {
	out, errOut = &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut}, out, errOut
}
