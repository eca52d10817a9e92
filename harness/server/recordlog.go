package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
)

// RecordLog appends one JSON line per question and syncs it, so a crash loses
// nothing already answered and concurrent requests never interleave lines.
type RecordLog struct {
	mu sync.Mutex
	f  *os.File
}

// OpenRecordLog opens (creating folders) a JSON-lines file for appending.
func OpenRecordLog(path string) (*RecordLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &RecordLog{f: f}, nil
}

// Append writes v as one line.
func (l *RecordLog) Append(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return err
	}
	return l.f.Sync()
}

// Close closes the file.
func (l *RecordLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}
