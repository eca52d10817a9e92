package commands

import (
	"strings"
	"testing"
)

// Commands print to the streams NewRoot was given: results on Out, nothing on
// ErrOut when all is well; help goes to Out as cobra's does.
func TestCommandsPrintToTheirStreams(t *testing.T) {
	ios, out, errOut := TestStreams()
	root := NewRoot(ios)
	root.SetArgs([]string{"version"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "harness ") || !strings.Contains(out.String(), "\nengine ") || errOut.Len() != 0 {
		t.Errorf("version: out %q, err %q", out, errOut)
	}

	ios, out, errOut = TestStreams()
	root = NewRoot(ios)
	root.SetArgs([]string{"exec", "--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Usage:\n  harness exec") || errOut.Len() != 0 {
		t.Errorf("help: out %q, err %q", out, errOut)
	}
}
