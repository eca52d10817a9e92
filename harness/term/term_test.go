package term

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var nilFile *os.File
	for name, w := range map[string]io.Writer{"buffer": &bytes.Buffer{}, "file": f, "nil file": nilFile} {
		if IsTerminal(w) {
			t.Errorf("%s taken for a terminal", name)
		}
	}
	if dev, err := os.OpenFile("/dev/null", os.O_WRONLY, 0); err == nil {
		defer dev.Close()
		// /dev/null is a character device too: the check is the device mode, as before.
		if !IsTerminal(dev) {
			t.Error("/dev/null is a character device")
		}
	}
}
