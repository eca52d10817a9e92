package score

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
)

// Files of a run folder.
const (
	ResultsFile  = "results.json"
	SamplesFile  = "samples.jsonl"
	FailuresFile = "failures.jsonl"
	ServerLog    = "server.jsonl"
	ServerOutput = "server.out"
)

// ServerLine is the server's log line for a request, merged into its sample.
type ServerLine struct {
	PromptHash    string             `json:"prompt_hash,omitempty"`
	PromptVersion string             `json:"prompt_version,omitempty"`
	PromptTokens  int                `json:"prompt_tokens,omitempty"`
	CachedTokens  int                `json:"cached_tokens,omitempty"` // of PromptTokens, served by the engine's prefix cache
	Examples      json.RawMessage    `json:"examples,omitempty"`
	Candidates    json.RawMessage    `json:"candidates,omitempty"`
	Votes         json.RawMessage    `json:"votes,omitempty"`
	Chosen        *int               `json:"chosen,omitempty"`
	Error         string             `json:"error,omitempty"`
	TimingsMS     map[string]float64 `json:"timings_ms,omitempty"`
}

// Sample is one scored question, one line of samples.jsonl.
type Sample struct {
	ID          string          `json:"id"`
	Category    string          `json:"category,omitempty"`
	Question    string          `json:"question"`
	Tables      []core.TableRef `json:"tables"`
	Answer      string          `json:"answer"`
	Gold        string          `json:"gold"`
	Verdict     judge.Verdict   `json:"verdict"`
	GoldVerdict judge.Verdict   `json:"gold_verdict"`
	Correct     bool            `json:"correct"`
	// ErrorKind is empty when correct, "mismatch" when both ran and differ,
	// else the failure ("runtime: ...", "http: ...", "gold: ...").
	ErrorKind string `json:"error_kind,omitempty"`
	// Class is the failure class (ClassRight, ClassNames, ...; see Classify),
	// ClassDetail its detail: the error kind, or which columns are extra or missing.
	Class       string      `json:"class,omitempty"`
	ClassDetail string      `json:"class_detail,omitempty"`
	Seconds     float64     `json:"seconds"`
	PeakRAMMB   float64     `json:"peak_ram_mb"`
	PeakVRAMMB  float64     `json:"peak_vram_mb"`
	RequestID   string      `json:"request_id,omitempty"`
	Server      *ServerLine `json:"server,omitempty"`
	At          time.Time   `json:"at"`
}

// Kind is the error kind's class: "correct", "mismatch", "runtime", "http"...
func (s Sample) Kind() string {
	if s.Correct {
		return "correct"
	}
	k := s.ErrorKind
	if i := strings.IndexByte(k, ':'); i >= 0 {
		k = k[:i]
	}
	if k == "" {
		k = "unknown"
	}
	return strings.TrimSpace(k)
}

// Record is an open run folder: samples and failures are appended one line
// per question and fsynced, so a kill loses at most the question in flight.
type Record struct {
	Dir      string
	samples  *os.File
	failures *os.File
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
	if r.samples, err = os.OpenFile(sp, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return nil, nil, err
	}
	if r.failures, err = os.OpenFile(filepath.Join(dir, FailuresFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		r.samples.Close()
		return nil, nil, err
	}
	return r, done, nil
}

// readSamples parses samples.jsonl. keep is the byte length of the complete
// lines when a torn tail must be cut, else -1. A bad line in the middle is an error.
func readSamples(path string) ([]Sample, int64, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, -1, nil
	}
	if err != nil {
		return nil, -1, err
	}
	var out []Sample
	var off int64
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			return out, off, nil // torn tail: no newline yet
		}
		line := raw[:i+1]
		raw = raw[i+1:]
		if len(bytes.TrimSpace(line)) > 0 {
			var s Sample
			if err := json.Unmarshal(line, &s); err != nil {
				if len(raw) == 0 {
					return out, off, nil // torn last line
				}
				return nil, -1, fmt.Errorf("%s: sample %d: %v", path, len(out)+1, err)
			}
			out = append(out, s)
		}
		off += int64(len(line))
	}
	return out, -1, nil
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
			if err := encodeLine(&buf, s); err != nil {
				return err
			}
		}
	}
	return writeAtomic(path, buf.Bytes())
}

func encodeLine(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Append writes one sample (and, when wrong, its failure line) and fsyncs.
func (r *Record) Append(s Sample) error {
	var buf bytes.Buffer
	if err := encodeLine(&buf, s); err != nil {
		return err
	}
	if err := appendSync(r.samples, buf.Bytes()); err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	if !s.Correct {
		if err := appendSync(r.failures, buf.Bytes()); err != nil {
			return fmt.Errorf("failures: %w", err)
		}
	}
	return nil
}

func appendSync(f *os.File, b []byte) error {
	if _, err := f.Write(b); err != nil {
		return err
	}
	return f.Sync()
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
		var s struct {
			RequestID string `json:"request_id"`
			ServerLine
		}
		if json.Unmarshal(line, &s) == nil && s.RequestID != "" {
			l.pending[s.RequestID] = s.ServerLine
		}
	}
}
