package proc

import (
	"strings"
	"sync"
)

// Tail is an io.Writer that keeps the last max bytes written to it: a child's
// output kept for error messages without growing with what the child prints.
// It is safe for concurrent use (the copy goroutine writes while errors read).
type Tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

// NewTail keeps the last max bytes.
func NewTail(max int) *Tail { return &Tail{max: max} }

func (t *Tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(b), nil
}

// String is what the tail holds.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// Len is the number of bytes held.
func (t *Tail) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.buf)
}

// Reset empties the tail.
func (t *Tail) Reset() {
	t.mu.Lock()
	t.buf = t.buf[:0]
	t.mu.Unlock()
}

// LastLine is the last non-blank line, trimmed; "" when there is none.
func (t *Tail) LastLine() string {
	s := strings.TrimSpace(t.String())
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[i+1:])
	}
	return s
}

// Find returns the last line for which match is true, trimmed; "" when none is.
func (t *Tail) Find(match func(line string) bool) string {
	lines := strings.Split(t.String(), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if match(lines[i]) {
			return strings.TrimSpace(lines[i])
		}
	}
	return ""
}

// LineWith returns the last line containing sub, trimmed; "" when none does.
func (t *Tail) LineWith(sub string) string {
	return t.Find(func(line string) bool { return strings.Contains(line, sub) })
}
