// Package term says whether output goes to a terminal: progress lines are
// redrawn in place there and printed one per line in pipes and logs. It is the
// one home of that check for the synthesiser, the scorer and fine-tuning.
package term

import (
	"io"
	"os"
)

// IsTerminal reports whether w is a file that is a character device (a terminal).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
