package runlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Line encodes v as one JSON line, HTML characters unescaped (code stays readable).
func Line(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Log is a JSON-lines file open for appending: each Append writes one whole
// line and fsyncs it, so a crash loses nothing already appended, and
// concurrent appends never interleave.
type Log struct {
	mu sync.Mutex
	f  *os.File
}

// Open opens (creating it and its folders) a JSON-lines file for appending.
func Open(path string) (*Log, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &Log{f: f}, nil
}

// Append writes v as one line and syncs it.
func (l *Log) Append(v any) error {
	b, err := Line(v)
	if err != nil {
		return err
	}
	return l.Write(b)
}

// Write appends an encoded line (from Line) and syncs it.
func (l *Log) Write(line []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(line); err != nil {
		return err
	}
	return l.f.Sync()
}

// Close closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}

// Append appends v as one synced line to the file at path (creating it).
func Append(path string, v any) error {
	l, err := Open(path)
	if err != nil {
		return err
	}
	if err := l.Append(v); err != nil {
		l.Close()
		return err
	}
	return l.Close()
}

// Read decodes a JSON-lines file into T, one value per non-blank line. A torn
// last line (no newline yet, or one that does not decode) is skipped, and keep
// is then the byte length of the complete lines, to cut the file to; else keep
// is -1. A bad line before the last is an error naming it. A missing file
// reads as empty.
func Read[T any](path string) (out []T, keep int64, err error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, -1, nil
	}
	if err != nil {
		return nil, -1, err
	}
	var off int64
	for n := 1; len(raw) > 0; n++ {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			return out, off, nil // torn tail: no newline yet
		}
		line := raw[:i+1]
		raw = raw[i+1:]
		if len(bytes.TrimSpace(line)) > 0 {
			var v T
			if err := json.Unmarshal(line, &v); err != nil {
				if len(raw) == 0 {
					return out, off, nil // torn last line
				}
				return nil, -1, fmt.Errorf("%s: line %d: %v", path, n, err)
			}
			out = append(out, v)
		}
		off += int64(len(line))
	}
	return out, -1, nil
}
