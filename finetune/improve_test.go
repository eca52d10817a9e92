package finetune

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fakes for the subprocesses around Improve (this tests the round's plumbing,
// not scoring or training): a harness whose score marks questions correct
// according to the model's name, and a "python" that writes a GGUF-named file.
const fakeHarness = `#!/bin/sh
[ -n "$CALLS" ] && echo "harness $*" >> "$CALLS"
verb=$1; shift
[ "$verb" = datasets ] && shift
out=; model=
while [ $# -gt 0 ]; do case $1 in --out) out=$2; shift;; --model) model=$2; shift;; --resume) out=$2; model=$(cat "$2/model"); shift;; esac; shift; done
if [ "$verb" = datasets ] && [ "$CAND_GOOD" = fail ]; then echo 'export: no verified solutions' >&2; exit 1; fi
if [ "$verb" = datasets ]; then echo '{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"result = 1"}]}' > "$out"; exit 0; fi
mkdir -p "$out"; echo "$model" > "$out/model"
good=3
case $model in *candidate*|*model-q4_k_m*) good=$CAND_GOOD;; esac
: > "$out/samples.jsonl"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
  c=false; [ $i -le $good ] && c=true
  echo "{\"id\":\"q$i\",\"correct\":$c}" >> "$out/samples.jsonl"
done
echo "{\"n\":12,\"total\":$good,\"accuracy\":0,\"score\":0}" > "$out/results.json"
`

const fakeTrain = `#!/bin/sh
[ -n "$CALLS" ] && echo "python $*" >> "$CALLS"
shift
out=
while [ $# -gt 0 ]; do case $1 in --out) out=$2; shift;; esac; shift; done
mkdir -p "$out"; echo GGUF > "$out/model-f16.gguf"
echo "{\"event\":\"done\",\"steps\":1,\"final_loss\":1.0,\"gguf\":\"$out/model-f16.gguf\"}"
`

func improveRound(t *testing.T, candGood string) (Round, string, error) {
	t.Helper()
	return improveIn(t, t.TempDir(), candGood, func(*ImproveOptions) {})
}

// improveIn runs a round with the fakes in dir (its round folder dir/round),
// after edit has changed the options.
func improveIn(t *testing.T, dir, candGood string, edit func(*ImproveOptions)) (Round, string, error) {
	t.Helper()
	harness := filepath.Join(dir, "harness")
	py := filepath.Join(dir, "python")
	os.WriteFile(harness, []byte(fakeHarness), 0o755)
	os.WriteFile(py, []byte(fakeTrain), 0o755)
	incumbent := filepath.Join(dir, "incumbent.gguf")
	pool := filepath.Join(dir, "pool.jsonl")
	os.WriteFile(incumbent, []byte("GGUF"), 0o644)
	os.WriteFile(pool, []byte("{}\n"), 0o644)
	t.Setenv("CAND_GOOD", candGood)
	models := filepath.Join(dir, "models")
	os.MkdirAll(models, 0o755)
	os.WriteFile(filepath.Join(models, "DEFAULT"), []byte("incumbent.gguf\n"), 0o644)
	o := ImproveOptions{Harness: harness, Incumbent: incumbent, Pool: pool, Dev: pool,
		Data: dir, RoundDir: filepath.Join(dir, "round"), ModelsDir: models, History: filepath.Join(dir, "runs", "history.jsonl"),
		Hyper: DefaultHyper(), Quant: "q4_k_m", Python: py,
		Quantize: func(in, out, typ string) error { return copyFile(in, out, 0o644) }}
	edit(&o)
	r, err := Improve(context.Background(), o)
	return r, dir, err
}

func TestImprovePromotesASignificantlyBetterCandidate(t *testing.T) {
	// Candidate right on 12, incumbent on 3: 9 gained, 0 lost, p = 2/512.
	r, dir, err := improveRound(t, "12")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Decision.Promote || r.PromotedAs == "" {
		t.Fatalf("want a promotion: %+v", r.Decision)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "models", "DEFAULT"))
	if strings.TrimSpace(string(b)) != r.PromotedAs {
		t.Fatalf("models/DEFAULT = %q, want %q", b, r.PromotedAs)
	}
	if _, err := os.Stat(filepath.Join(dir, "models", r.PromotedAs)); err != nil {
		t.Fatal(err)
	}
	if n := countLines(t, filepath.Join(dir, "models", "promotions.jsonl")); n != 1 {
		t.Fatalf("promotions.jsonl has %d lines", n)
	}
	if n := countLines(t, filepath.Join(dir, "runs", "history.jsonl")); n != 1 {
		t.Fatalf("history.jsonl has %d lines", n)
	}
}

func TestImproveKeepsTheIncumbentOnASmallGain(t *testing.T) {
	// Candidate right on 5, incumbent on 3: 2 gained, p = 0.5.
	r, dir, err := improveRound(t, "5")
	if err != nil {
		t.Fatal(err)
	}
	if r.Decision.Promote || r.PromotedAs != "" || !strings.Contains(r.Decision.Reason, "not significant") {
		t.Fatalf("want the incumbent kept: %+v", r.Decision)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "models", "DEFAULT"))
	if strings.TrimSpace(string(b)) != "incumbent.gguf" {
		t.Fatalf("models/DEFAULT changed to %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "models", "promotions.jsonl")); err == nil {
		t.Fatal("a promotion was recorded")
	}
	var h Round
	line := firstLine(t, filepath.Join(dir, "runs", "history.jsonl"))
	if err := json.Unmarshal([]byte(line), &h); err != nil || h.Decision.Promote || h.Decision.CandidateOnly != 2 {
		t.Fatalf("history line wrong (%v): %s", err, line)
	}
}

func countLines(t *testing.T, p string) int {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func firstLine(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	sc.Scan()
	return sc.Text()
}

func TestImproveRecordsAFailedRound(t *testing.T) {
	r, dir, err := improveRound(t, "fail")
	if err == nil || !strings.Contains(err.Error(), "no verified solutions") {
		t.Fatalf("want the export's error, got %v (%+v)", err, r.Decision)
	}
	var h Round
	line := firstLine(t, filepath.Join(dir, "runs", "history.jsonl"))
	if json.Unmarshal([]byte(line), &h) != nil || h.Error == "" || h.Decision.Promote {
		t.Fatalf("history must record the failure: %s", line)
	}
}

// TestImproveGoldOnlyThenResume: --gold-only never scores the pool and exports
// its gold alone; a resumed round continues the score runs it finds and passes
// --resume to the training script.
func TestImproveGoldOnlyThenResume(t *testing.T) {
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	t.Setenv("CALLS", calls)
	r, _, err := improveIn(t, dir, "12", func(o *ImproveOptions) { o.GoldOnly = true })
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(calls)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "harness datasets export --synth ") || strings.Contains(lines[0], "--runs") ||
		r.PoolRun != "" || strings.Contains(string(b), "--resume") {
		t.Fatalf("gold-only round: pool run %q, calls:\n%s", r.PoolRun, b)
	}
	os.Remove(calls)
	if _, _, err := improveIn(t, dir, "12", func(o *ImproveOptions) { o.GoldOnly, o.Resume = true, true }); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(calls)
	lines = strings.Split(strings.TrimSpace(string(b)), "\n")
	round := filepath.Join(dir, "round")
	want := []string{"harness datasets export", "python ", "harness score --resume " + filepath.Join(round, "dev-candidate"),
		"harness score --resume " + filepath.Join(round, "dev-incumbent")}
	for i, w := range want {
		if i >= len(lines) || !strings.HasPrefix(lines[i], w) {
			t.Fatalf("resumed round: call %d should start %q; calls:\n%s", i, w, b)
		}
	}
	if !strings.HasSuffix(lines[1], " --resume") {
		t.Fatalf("the training script was not asked to resume: %s", lines[1])
	}
}

// TestScoreProgressShowsAnETA: a score child's per-question lines reach the
// round's progress with an ETA, whatever chunks they arrive in; other output does not.
func TestScoreProgressShowsAnETA(t *testing.T) {
	var b strings.Builder
	w := &scoreProgress{p: &Progress{W: &b}}
	for _, chunk := range []string{"loading model\n[3/10] acc 33.3%  2.00 s/q  Q", "3 right 1.90s\nsummary: 3/10\n"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	want := "finetune: score [3/10] acc 33.3%  2.00 s/q  Q3 right 1.90s  eta 14s\n"
	if b.String() != want {
		t.Fatalf("progress %q, want %q", b.String(), want)
	}
}
