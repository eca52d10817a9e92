package datasets

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"polarsbench/datasets/core"
	"polarsbench/harness/fingerprint"
	"polarsbench/harness/repo"
)

var testRoot string

// TestMain gives the shared syntheses a folder that outlives single tests.
func TestMain(m *testing.M) {
	var err error
	if testRoot, err = os.MkdirTemp("", "datasets-test-"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(testRoot)
	os.Exit(code)
}

// smallSynth runs a small synthesis once per test binary; tests share it.
var (
	synthMu    sync.Mutex
	synthCache = map[uint64]synthRun{}
)

type synthRun struct {
	tasks []core.Task
	stats *SynthStats
	file  string
}

func smallSynth(t *testing.T, seed uint64) synthRun {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if r, ok := synthCache[seed]; ok {
		return r
	}
	if _, err := os.Stat(filepath.Join(repo.DataDir(), "nw_orders.parquet")); err != nil {
		t.Skip("bench parquet files not built (make data)")
	}
	dir, err := os.MkdirTemp(testRoot, "synth-")
	if err != nil {
		t.Fatal(err)
	}
	tasks, st, err := Synthesize(context.Background(), SynthOptions{
		TablesDir: repo.DataDir(), N: 220, Seed: seed, Heldout: 0.1,
		RandomDir: filepath.Join(dir, "tables"), RandomFamilies: 6,
		Python: repo.Python(), Workers: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "out.jsonl")
	if err := core.WriteTasks(file, tasks); err != nil {
		t.Fatal(err)
	}
	r := synthRun{tasks, st, file}
	synthCache[seed] = r
	return r
}

func TestSynthEveryCategoryAndSplit(t *testing.T) {
	r := smallSynth(t, 7)
	if len(r.tasks) != 220 {
		t.Errorf("got %d tasks, want 220 (stats %+v)", len(r.tasks), r.stats)
	}
	held := map[string]int{}
	train := map[string]int{}
	ids := map[string]bool{}
	for _, task := range r.tasks {
		if ids[task.ID] {
			t.Errorf("duplicate id %s", task.ID)
		}
		ids[task.ID] = true
		if task.Generator != SynthGenerator || !strings.HasPrefix(task.GoldCode, "result = ") {
			t.Errorf("task %s: generator %q code %q", task.ID, task.Generator, task.GoldCode)
		}
		switch task.Split {
		case "heldout":
			held[task.Category]++
		case "train":
			train[task.Category]++
		default:
			t.Errorf("task %s: split %q", task.ID, task.Split)
		}
	}
	for _, c := range SynthCategories {
		if train[c] == 0 || held[c] == 0 {
			t.Errorf("category %s: %d train, %d held out; want both", c, train[c], held[c])
		}
	}
	// Held-out questions never reappear in train, even after normalisation.
	trainQ := map[string]bool{}
	for _, task := range r.tasks {
		if task.Split == "train" {
			trainQ[core.NormalizeQuestion(task.Question)] = true
		}
	}
	for _, task := range r.tasks {
		if task.Split == "heldout" && trainQ[core.NormalizeQuestion(task.Question)] {
			t.Errorf("held-out question also in train: %q", task.Question)
		}
	}
	// Random tables of our own are used, not only the bench's.
	random := 0
	for _, task := range r.tasks {
		if !strings.HasPrefix(task.Tables[0].Path, repo.DataDir()) {
			random++
		}
	}
	if random == 0 {
		t.Error("no task uses the generated random tables")
	}
}

func TestSynthDeterministic(t *testing.T) {
	a := smallSynth(t, 7)
	synthMu.Lock()
	delete(synthCache, 7) // force a fresh run with the same seed
	synthMu.Unlock()
	b := smallSynth(t, 7)
	ra, _ := os.ReadFile(a.file)
	rb, _ := os.ReadFile(b.file)
	// Random table paths differ between runs (temporary folders); compare without them.
	strip := func(b []byte, dir string) string { return strings.ReplaceAll(string(b), dir, "") }
	if sa, sb := strip(ra, filepath.Dir(a.file)), strip(rb, filepath.Dir(b.file)); sa != sb || len(ra) == 0 {
		la, lb := strings.Split(sa, "\n"), strings.Split(sb, "\n")
		for i := range min(len(la), len(lb)) {
			if la[i] != lb[i] {
				t.Fatalf("same seed gave different files; first difference:\n%s\n%s", la[i], lb[i])
			}
		}
		t.Fatal("same seed gave different files")
	}
}

func TestSynthKeptTasksReallyRun(t *testing.T) {
	r := smallSynth(t, 7)
	ex, err := NewPyExecutor(repo.Python(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	for i := 0; i < len(r.tasks); i += 11 {
		task := r.tasks[i]
		res, err := ex.Exec(context.Background(), task.Tables, task.GoldCode)
		if err != nil || !res.OK || res.Rows == 0 {
			t.Errorf("task %s (%s) does not run: %v %+v", task.ID, task.GoldCode, err, res)
		}
	}
}

func TestSynthRejectsBadDrafts(t *testing.T) {
	inputs := map[string]bool{"in": true}
	ran := func(hash string, rows, cols int) ExecResult {
		return ExecResult{OK: true, Fingerprint: fingerprint.Fingerprint{Hash: hash, Rows: rows, Cols: cols}}
	}
	ok := ran("h", 3, 2)
	cases := map[string][2]ExecResult{
		RejectError:          {{OK: false, Error: "boom"}, ok},
		RejectNondeterminism: {ok, ran("other", 3, 2)},
		RejectEmpty:          {ran("e", 0, 2), ran("e", 0, 2)},
		RejectInputCopy:      {ran("in", 3, 2), ran("in", 3, 2)},
		"":                   {ok, ok},
	}
	for want, res := range cases {
		if got := judgeDraft(res, inputs); got != want {
			t.Errorf("judgeDraft(%+v) = %q, want %q", res, got, want)
		}
	}
}

func TestSynthDropsNearDuplicates(t *testing.T) {
	if core.NormalizeQuestion("Find all R-rated films.") != core.NormalizeQuestion("find all r rated  films") {
		t.Error("normalisation does not fold case and punctuation")
	}
	r := smallSynth(t, 7)
	seenQ, seenFP := map[string]bool{}, map[string]bool{}
	for _, task := range r.tasks {
		n := core.NormalizeQuestion(task.Question)
		if seenQ[n] {
			t.Errorf("near-duplicate question kept: %q", task.Question)
		}
		seenQ[n] = true
		_ = seenFP
	}
	if r.stats.Rejected[RejectDupQuestion]+r.stats.Rejected[RejectDupResult] == 0 {
		t.Errorf("no near-duplicates were dropped at all: %+v", r.stats.Rejected)
	}
}

// The helper runs the shared fingerprint source, put in at its marker.
func TestHelperHoldsSharedFingerprint(t *testing.T) {
	if strings.Contains(helperScript, fingerprint.Marker) || !strings.Contains(helperScript, fingerprint.Python) {
		t.Fatal("synth_helper.py's fingerprint.py marker was not replaced by harness/fingerprint/fingerprint.py")
	}
}
