package score

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"polarsbench/harness/runlog"
)

// Files of a run folder.
const (
	ResultsFile  = "results.json"
	SamplesFile  = "samples.jsonl"
	FailuresFile = "failures.jsonl"
	ServerLog    = "server.jsonl"
	ServerOutput = "server.out"
)

// Sample is one scored question, one line of samples.jsonl; ServerLine is
// the server's record kept in it. Both are defined in harness/runlog.
type (
	Sample     = runlog.Sample
	ServerLine = runlog.ServerLine
)

// Record is an open run folder: samples and failures are appended one line
// per question and fsynced, so a kill loses at most the question in flight.
type Record struct {
	Dir      string
	samples  *runlog.Log
	failures *runlog.Log
}

// OpenRecord opens or creates dir and returns the samples already there.
// A torn last line (a kill mid-write) is cut off; failures.jsonl is rebuilt
// from the samples so the two always agree.
func OpenRecord(dir string) (*Record, []Sample, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("run folder: %w", err)
	}
	sp := filepath.Join(dir, SamplesFile)
	done, keep, err := readSamples(sp)
	if err != nil {
		return nil, nil, err
	}
	if keep >= 0 {
		if err := os.Truncate(sp, keep); err != nil {
			return nil, nil, fmt.Errorf("run folder: %w", err)
		}
	}
	if err := rewriteFailures(filepath.Join(dir, FailuresFile), done); err != nil {
		return nil, nil, err
	}
	r := &Record{Dir: dir}
	if r.samples, err = runlog.Open(sp); err != nil {
		return nil, nil, err
	}
	if r.failures, err = runlog.Open(filepath.Join(dir, FailuresFile)); err != nil {
		r.samples.Close()
		return nil, nil, err
	}
	return r, done, nil
}

// readSamples parses samples.jsonl. keep is the byte length of the complete
// lines when a torn tail must be cut, else -1. A bad line in the middle is an error.
func readSamples(path string) ([]Sample, int64, error) {
	return runlog.Read[Sample](path)
}

// LoadSamples reads a run's samples, ignoring a torn last line.
func LoadSamples(dir string) ([]Sample, error) {
	s, _, err := readSamples(filepath.Join(dir, SamplesFile))
	return s, err
}

func rewriteFailures(path string, samples []Sample) error {
	var buf bytes.Buffer
	for _, s := range samples {
		if !s.Correct {
			line, err := runlog.Line(s)
			if err != nil {
				return err
			}
			buf.Write(line)
		}
	}
	return writeAtomic(path, buf.Bytes())
}

// Append writes one sample (and, when wrong, its failure line) and fsyncs.
func (r *Record) Append(s Sample) error {
	line, err := runlog.Line(s)
	if err != nil {
		return err
	}
	if err := r.samples.Write(line); err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	if !s.Correct {
		if err := r.failures.Write(line); err != nil {
			return fmt.Errorf("failures: %w", err)
		}
	}
	return nil
}

// Close closes the files.
func (r *Record) Close() error {
	e1 := r.samples.Close()
	e2 := r.failures.Close()
	return errors.Join(e1, e2)
}

// WriteResults replaces results.json atomically.
func WriteResults(dir string, res Results) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, ResultsFile), append(b, '\n'))
}

// LoadResults reads results.json.
func LoadResults(dir string) (Results, error) {
	var res Results
	b, err := os.ReadFile(filepath.Join(dir, ResultsFile))
	if err != nil {
		return res, fmt.Errorf("run %s: %w", dir, err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return res, fmt.Errorf("run %s: results.json: %w", dir, err)
	}
	return res, nil
}

func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ServerLogReader finds a request's line in the server's append-only log,
// reading only what was added since the last call.
type ServerLogReader struct {
	Path    string
	off     int64
	pending map[string]ServerLine
}

// Find returns the line for requestID, waiting up to wait for it to appear
// (the server may log just after answering).
func (l *ServerLogReader) Find(requestID string, wait time.Duration) *ServerLine {
	if l == nil || l.Path == "" || requestID == "" {
		return nil
	}
	deadline := time.Now().Add(wait)
	for {
		l.readNew()
		if s, ok := l.pending[requestID]; ok {
			delete(l.pending, requestID)
			return &s
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (l *ServerLogReader) readNew() {
	f, err := os.Open(l.Path)
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(l.off, 0); err != nil {
		return
	}
	if l.pending == nil {
		l.pending = map[string]ServerLine{}
	}
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return // a partial line is re-read next time
		}
		l.off += int64(len(line))
		// What a sample keeps of the server's record, and its request id.
		var s struct {
			RequestID string `json:"request_id"`
			ServerLine
		}
		if json.Unmarshal(line, &s) == nil && s.RequestID != "" {
			l.pending[s.RequestID] = s.ServerLine
		}
	}
}
