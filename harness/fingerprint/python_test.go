package fingerprint

import (
	"strings"
	"testing"
)

func TestSplice(t *testing.T) {
	got := Splice("a = 1\n" + Marker + " (put in by the Go side)\nb = 2\n")
	if got != "a = 1\n"+Python+"b = 2\n" {
		t.Fatalf("spliced script:\n%s", got)
	}
	if got := Splice("a = 1\n" + Marker); got != "a = 1\n"+Python {
		t.Fatalf("marker on the last line:\n%s", got)
	}
	for _, name := range []string{"def runner_fingerprint(", "def result_fingerprint(", "def values_fingerprint(", "def values_contained("} {
		if !strings.Contains(Python, name) {
			t.Errorf("fingerprint.py lacks %s", name)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a script without the marker must panic")
		}
	}()
	Splice("a = 1\n")
}

// The source must not hold the marker itself: a spliced script would look unspliced.
func TestPythonHasNoMarker(t *testing.T) {
	if strings.Contains(Python, Marker) {
		t.Fatal("fingerprint.py contains the marker")
	}
}
