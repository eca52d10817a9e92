package runlog

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func jsonNames(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out[name] = true
	}
	return out
}

// ServerLine is the sample's copy of part of Record: the same names, or the
// server's lines would not merge into samples.
func TestServerLineNamesAreRecords(t *testing.T) {
	rec := jsonNames(reflect.TypeFor[Record[json.RawMessage, json.RawMessage]]())
	for name := range jsonNames(reflect.TypeFor[ServerLine]()) {
		if !rec[name] {
			t.Errorf("ServerLine field %q is not a Record field", name)
		}
	}
	timings := jsonNames(reflect.TypeFor[Timings]())
	for _, s := range Stages {
		if !timings[s] {
			t.Errorf("stage %q is not a Timings field", s)
		}
	}
}

func TestAppendAndTolerantRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "log.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Append(Sample{ID: strings.Repeat("x", 1000), Answer: "a < b && c"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	l.Close()
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "a < b && c") {
		t.Fatal("HTML characters escaped")
	}
	full := int64(len(b))
	got, keep, err := Read[Sample](path)
	if err != nil || len(got) != 20 || keep != -1 {
		t.Fatalf("read %d, keep %d, %v", len(got), keep, err)
	}
	// A torn last line (a kill mid-write), with or without its newline.
	for _, torn := range []string{`{"id":"half`, `{"id":"half` + "\n"} {
		os.WriteFile(path, append(append([]byte(nil), b...), torn...), 0o644)
		got, keep, err = Read[Sample](path)
		if err != nil || len(got) != 20 || keep != full {
			t.Fatalf("torn %q: read %d, keep %d (want %d), %v", torn, len(got), keep, full, err)
		}
	}
	// A bad line in the middle is an error.
	os.WriteFile(path, append([]byte("not json\n"), b...), 0o644)
	if _, _, err := Read[Sample](path); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("want an error naming line 1, got %v", err)
	}
	if got, _, err := Read[Sample](filepath.Join(t.TempDir(), "none")); err != nil || got != nil {
		t.Fatal("a missing file reads as empty")
	}
	if err := Append(filepath.Join(t.TempDir(), "a", "b.jsonl"), map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
}

func TestServerCandidates(t *testing.T) {
	var none *ServerLine
	if cs, err := none.ServerCandidates(); cs != nil || err != nil {
		t.Fatalf("nil line: %v %v", cs, err)
	}
	l := &ServerLine{Candidates: json.RawMessage(`[{"code":"result = a","ok":true,"fingerprint":{"hash":"h","rows":1,"cols":1,"columns":["x"]},"group":0}]`)}
	cs, err := l.ServerCandidates()
	if err != nil || len(cs) != 1 || cs[0].Code != "result = a" || !cs[0].OK || cs[0].Fingerprint.Hash != "h" {
		t.Fatalf("decoded %+v %v", cs, err)
	}
	if _, err := (&ServerLine{Candidates: json.RawMessage(`{"code":1}`)}).ServerCandidates(); err == nil {
		t.Fatal("a bad candidates field must be an error")
	}
}
