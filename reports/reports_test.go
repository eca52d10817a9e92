package reports

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"polarsbench/harness/score"
)

func TestMcNemarExactHandComputed(t *testing.T) {
	cases := []struct {
		b, c int
		want float64
	}{
		{0, 5, 0.0625},          // 2 * (1/2)^5
		{5, 0, 0.0625},          // symmetric
		{1, 1, 1},               // 2 * 3/4 capped at 1
		{0, 0, 1},               // no discordant pairs
		{1, 9, 2 * 11.0 / 1024}, // 2 * (C(10,0)+C(10,1)) / 2^10
		{2, 8, 2 * 56.0 / 1024}, // 2 * (1+10+45) / 2^10
		{3, 3, 1},
	}
	for _, c := range cases {
		if got := McNemarExact(c.b, c.c); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("McNemarExact(%d,%d) = %v, want %v", c.b, c.c, got, c.want)
		}
	}
}

// fakeRun builds a run whose question i is right when right[i] is true.
func fakeRun(t *testing.T, id string, right []bool, timings bool) Run {
	dir := filepath.Join(t.TempDir(), id)
	rec, _, err := score.OpenRecord(dir)
	if err != nil {
		t.Fatal(err)
	}
	var samples []score.Sample
	for i, r := range right {
		s := score.Sample{ID: string(rune('A' + i)), Category: []string{"aggregations", "joins"}[i%2], Correct: r, Seconds: 0.5 + float64(i)/10, PeakRAMMB: 900}
		if !r {
			s.ErrorKind = "mismatch"
		}
		if timings {
			// Every question reuses the 300-token head; every other one its tables' 200 more.
			s.Server = &score.ServerLine{TimingsMS: map[string]float64{"prefill": 100, "decode": 300 + float64(i), "execute": 20},
				PromptTokens: 800, CachedTokens: 300 + 200*(i%2), GeneratedTokens: 100, SharedTokens: 25 * (i % 2)}
		}
		if err := rec.Append(s); err != nil {
			t.Fatal(err)
		}
		samples = append(samples, s)
	}
	rec.Close()
	res := score.Results{ID: id, Started: time.Date(2026, 11, 1, 0, 0, len(id), 0, time.UTC), Planned: len(right), Config: score.Config{GPUVRAMMB: 1500, GPUSecondsPerQuestion: 0.3}}
	return summarizedRun(t, dir, res, samples)
}

func TestCompareCountsFlips(t *testing.T) {
	a := fakeRun(t, "a", []bool{true, true, false, false, false, false, false, true}, false)
	b := fakeRun(t, "b", []bool{true, false, true, true, true, true, true, true}, false)
	c := Compare(a, b)
	if c.Paired != 8 || c.BothRight != 2 || c.BothWrong != 0 || c.RightOnlyInA != 1 || c.RightOnlyInB != 5 {
		t.Fatalf("comparison %+v", c)
	}
	if want := McNemarExact(1, 5); c.P != want || math.Abs(want-0.21875) > 1e-12 {
		t.Errorf("p = %v, want 0.21875", c.P)
	}
	if c.Better(0.1) || !c.Better(0.25) || c.Worse(0.25) {
		t.Errorf("better at 0.1 %v, at 0.25 %v", c.Better(0.1), c.Better(0.25))
	}
	if len(c.Fixed) != 5 || len(c.Broken) != 1 || c.Broken[0].ID != "B" {
		t.Errorf("fixed %v broken %v", c.Fixed, c.Broken)
	}
	if c.AccuracyA != 3.0/8 || c.AccuracyB != 7.0/8 {
		t.Errorf("accuracy %v -> %v", c.AccuracyA, c.AccuracyB)
	}
	md := CompareMarkdown(c, 0.1)
	if !strings.Contains(md, "no significant difference") || !strings.Contains(md, "Fixed in B (5)") {
		t.Errorf("markdown:\n%s", md)
	}
	// WriteCompare(baseline, run): the run is B, and its folder gets the file.
	path, w, err := WriteCompare(a, b, 0.1)
	if err != nil || filepath.Dir(path) != b.Dir || filepath.Base(path) != "compare-a.md" || w.RightOnlyInB != 5 {
		t.Errorf("WriteCompare: %s, %d right only in the run, %v", path, w.RightOnlyInB, err)
	}
	if got, _ := os.ReadFile(path); !strings.HasPrefix(string(got), "# b vs a\n\nA is a (the baseline), B is b.") {
		t.Errorf("compare file:\n%s", got)
	}
	// Reversed, B is worse than A.
	if r := Compare(b, a); !r.Worse(0.25) || r.RightOnlyInA != 5 {
		t.Errorf("reversed %+v", r)
	}
}

func TestWriteReportAndHistory(t *testing.T) {
	run := fakeRun(t, "withtimings", []bool{true, false, true, true, false, true}, true)
	path, err := Write(run)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(path)
	for _, want := range []string{"Final Score", "aggregations", "decode", "stages.png", "Failures (2", "| plan |",
		"Prompt cache: 2400 of 4800 prompt tokens served from the cache (50.0%); 3 of 6 questions reused more than the static head (300 tokens).",
		"Shared decoding: 75 of 600 generated tokens (12.5%)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, png := range []string{"score.png", "accuracy.png", "seconds.png", "stages.png"} {
		b, err := os.ReadFile(filepath.Join(run.Dir, png))
		if err != nil || len(b) < 1000 || string(b[1:4]) != "PNG" {
			t.Errorf("%s: %d bytes, err %v", png, len(b), err)
		}
	}
	// A run without server timings says so instead of plotting zeros.
	bare := fakeRun(t, "bare", []bool{true}, false)
	path, err = Write(bare)
	if err != nil {
		t.Fatal(err)
	}
	if md, _ := os.ReadFile(path); !strings.Contains(string(md), "No server timings") {
		t.Errorf("bare report:\n%s", md)
	}

	// History over a runs folder holding two runs and a stray folder.
	runs := t.TempDir()
	for _, r := range []Run{run, bare} {
		os.Rename(r.Dir, filepath.Join(runs, filepath.Base(r.Dir)))
	}
	os.Mkdir(filepath.Join(runs, "not-a-run"), 0o755)
	hist, err := WriteHistory(runs)
	if err != nil {
		t.Fatal(err)
	}
	hm, _ := os.ReadFile(hist)
	if strings.Count(string(hm), "\n| ") != 3 || !strings.Contains(string(hm), "| 1 | bare") || !strings.Contains(string(hm), "withtimings") {
		t.Errorf("history:\n%s", hm)
	}
	if b, err := os.ReadFile(filepath.Join(runs, "history.png")); err != nil || string(b[1:4]) != "PNG" {
		t.Errorf("history.png: %v", err)
	}
	if _, err := WriteHistory(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no run folders") {
		t.Errorf("empty history: %v", err)
	}
}

// summarizedRun writes res, summarized over samples, into the run folder dir
// and loads the run back.
func summarizedRun(t *testing.T, dir string, res score.Results, samples []score.Sample) Run {
	t.Helper()
	score.Summarize(&res, samples)
	if err := score.WriteResults(dir, res); err != nil {
		t.Fatal(err)
	}
	run, err := LoadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// classRun builds a run whose question i has class classes[i] (names counts
// as values-right) and, when given, the server's renames styles[i].
func classRun(t *testing.T, id string, classes []string, styles ...string) Run {
	dir := filepath.Join(t.TempDir(), id)
	rec, _, err := score.OpenRecord(dir)
	if err != nil {
		t.Fatal(err)
	}
	var samples []score.Sample
	for i, c := range classes {
		s := score.Sample{ID: string(rune('A' + i)), Category: "joins", Correct: c == score.ClassRight, Class: c, Seconds: 1}
		if c == score.ClassError {
			s.ClassDetail, s.ErrorKind = "runtime", "runtime: boom"
		} else if !s.Correct {
			s.ErrorKind = "mismatch"
		}
		if i < len(styles) && styles[i] != "" {
			s.Server = &score.ServerLine{Style: styles[i]}
		}
		if err := rec.Append(s); err != nil {
			t.Fatal(err)
		}
		samples = append(samples, s)
	}
	rec.Close()
	res := score.Results{ID: id, Planned: len(classes)}
	return summarizedRun(t, dir, res, samples)
}

func TestClassesInReportAndCompare(t *testing.T) {
	r, n, c, w, e, p := score.ClassRight, score.ClassNames, score.ClassColumns, score.ClassWrong, score.ClassError, score.ClassPlaceholder
	a := classRun(t, "a", []string{r, n, n, n, c, w, e, p}, "total_order_value -> total_value", "", "quantity_diff -> qty_diff")
	b := classRun(t, "b", []string{r, r, r, n, w, w, e, n})
	path, err := Write(a)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(path)
	for _, want := range []string{
		"| values-only (right up to column names and order) | 4 of 8 (50.0%) |",
		"## Failure classes",
		"| names | right values, other column names or order | 3 | 37.5% |",
		"| columns | right rows, extra or missing columns | 1 | 12.5% |",
		"| error: runtime | | 1 | 12.5% |",
		"| placeholder | placeholder (no candidate ran) | 1 | 12.5% |",
		"| class | kind | error |",
		"2 answers took the bank's names for the columns they made (1 of them right)",
		"| A | total_order_value -> total_value | right |",
		"| C | quantity_diff -> qty_diff | names |",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	cmp := Compare(a, b)
	// Strict: A right on 1 (A), B on 3 (A, B, C).
	if cmp.AccuracyA != 1.0/8 || cmp.AccuracyB != 3.0/8 || cmp.RightOnlyInB != 2 {
		t.Errorf("strict %+v", cmp)
	}
	// Values-right: A {A,B,C,D}, B {A,B,C,D,H}: only H differs.
	if cmp.ValuesAccuracyA != 4.0/8 || cmp.ValuesAccuracyB != 5.0/8 || cmp.ValuesRightOnlyInA != 0 || cmp.ValuesRightOnlyInB != 1 || cmp.ValuesP != 1 {
		t.Errorf("values-only %+v", cmp)
	}
	if cmp.ClassesA[n] != 3 || cmp.ClassesB[n] != 2 || cmp.ClassesB[w] != 2 {
		t.Errorf("classes %v %v", cmp.ClassesA, cmp.ClassesB)
	}
	out := CompareMarkdown(cmp, 0.1)
	for _, want := range []string{"| values-only accuracy | 50.0% | 62.5% | +12.5 pts (McNemar p = 1: 0 vs 1) |", "| names | 3 | 2 | -1 |", "mismatch (names)"} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison lacks %q:\n%s", want, out)
		}
	}
}

// A run recorded before the classes gets them from its samples when loaded.
func TestOldRunIsClassifiedOnLoad(t *testing.T) {
	run := fakeRun(t, "old", []bool{true, false}, false)
	res := run.Results
	res.Classes, res.ErrorKinds, res.ValuesN = nil, nil, 0
	if err := score.WriteResults(run.Dir, res); err != nil {
		t.Fatal(err)
	}
	back, err := LoadRun(run.Dir)
	if err != nil {
		t.Fatal(err)
	}
	// The fake wrong sample has no gold verdict: an error of kind gold.
	if back.Results.Classes[score.ClassRight] != 1 || back.Results.ErrorKinds["gold"] != 1 || back.Results.ValuesN != 1 {
		t.Errorf("classes %v values N %d", back.Results.Classes, back.Results.ValuesN)
	}
}
