package export

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"polarsbench/datasets/core"
	"polarsbench/harness/runlog"
	"polarsbench/infer"
)

// fakeBuild and fakeRender stand in for prompt.Build and infer.RenderChat:
// this test is about choosing targets and refusing, not about prompts.
func fakeBuild(q string, tables []core.TableRef) ([]infer.Message, error) {
	return []infer.Message{{Role: "system", Content: "sys"}, {Role: "user", Content: q}}, nil
}

func fakeRender(msgs []infer.Message, addAssistant bool) (string, error) {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString("<" + m.Role + ">" + m.Content + "</>")
	}
	if addAssistant {
		b.WriteString("<assistant>")
	}
	return b.String(), nil
}

func writeRun(t *testing.T, lines ...string) string {
	dir := filepath.Join(t.TempDir(), "run1")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "samples.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const fp = `{"hash":"abc","rows":2,"cols":1,"columns":["x"]}`

func TestExportPrefersModelCandidates(t *testing.T) {
	run := writeRun(t,
		// wrong chosen answer, but a candidate matched the gold fingerprint
		`{"id":"s1","question":"Count things.","tables":[{"name":"t","path":"/t.parquet","format":"parquet"}],"answer":"result = bad","gold":"result = gold1","correct":false,"gold_verdict":{"ok":true,"fingerprint":`+fp+`},"server":{"candidates":[{"code":"result = bad","ok":true,"fingerprint":{"hash":"zzz","rows":2,"cols":1,"columns":["x"]}},{"code":"result = model1","ok":true,"fingerprint":`+fp+`}]}}`,
		// nothing matched: gold
		`{"id":"s2","question":"Sum things.","tables":[],"answer":"result = no","gold":"result = gold2","correct":false,"gold_verdict":{"ok":true,"fingerprint":`+fp+`}}`,
		// correct answer
		`{"id":"s3","question":"Average things.","tables":[],"answer":"result = model3","gold":"result = gold3","correct":true,"gold_verdict":{"ok":true,"fingerprint":`+fp+`}}`,
	)
	exs, err := Examples(Options{Runs: []string{run}, Prefill: "```python\n", Build: fakeBuild, Render: fakeRender})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{"s1": {"model", "result = model1"}, "s2": {"gold", "result = gold2"}, "s3": {"model", "result = model3"}}
	if len(exs) != 3 {
		t.Fatalf("got %d examples, want 3", len(exs))
	}
	for _, ex := range exs {
		w := want[ex.TaskID]
		last := ex.Messages[len(ex.Messages)-1]
		if ex.Source != w[0] || last.Content != "```python\n"+w[1]+"\n```" || ex.Run != "run1" {
			t.Errorf("%s: source %s, target %q, run %q; want %v", ex.TaskID, ex.Source, last.Content, ex.Run, w)
		}
		if ex.Prompt+ex.Completion == "" || !strings.HasPrefix(ex.Completion, "```python\n"+w[1]) {
			t.Errorf("%s: prompt/completion split wrong: %q", ex.TaskID, ex.Completion)
		}
	}
}

func TestExportRefusesDevAndHeldout(t *testing.T) {
	devDir := filepath.Join("..", "polarsbench", "dev")
	// A run on a dev question, by id.
	run := writeRun(t, `{"id":"FIL02","question":"Whatever.","tables":[],"answer":"","gold":"result = x","correct":false,"gold_verdict":{"ok":true,"fingerprint":`+fp+`}}`)
	_, err := Examples(Options{Runs: []string{run}, DevDir: devDir, Build: fakeBuild, Render: fakeRender})
	if err == nil || !strings.Contains(err.Error(), "dev question") {
		t.Errorf("dev id: got %v, want a refusal", err)
	}
	// A dev question's text under another id.
	run = writeRun(t, `{"id":"x9","question":"find all R-rated films","tables":[],"gold":"result = x","gold_verdict":{"ok":true,"fingerprint":`+fp+`}}`)
	_, err = Examples(Options{Runs: []string{run}, DevDir: devDir, Build: fakeBuild, Render: fakeRender})
	if err == nil || !strings.Contains(err.Error(), "dev question") {
		t.Errorf("dev text: got %v, want a refusal", err)
	}
	// A run on a held-out synthetic task.
	synth := filepath.Join(t.TempDir(), "synth.jsonl")
	tasks := []core.Task{
		{ID: "h1", Question: "Held out question.", Tables: []core.TableRef{{Name: "t", Path: "/t", Format: "parquet"}}, GoldCode: "result = t", Split: "heldout"},
		{ID: "k1", Question: "Train question.", Tables: []core.TableRef{{Name: "t", Path: "/t", Format: "parquet"}}, GoldCode: "result = t.head(1)", Split: "train"},
	}
	if err := core.WriteTasks(synth, tasks); err != nil {
		t.Fatal(err)
	}
	run = writeRun(t, `{"id":"h1","question":"Held out question.","tables":[],"gold":"result = t","gold_verdict":{"ok":true,"fingerprint":`+fp+`}}`)
	_, err = Examples(Options{Runs: []string{run}, Synth: synth, DevDir: devDir, Build: fakeBuild, Render: fakeRender})
	if err == nil || !strings.Contains(err.Error(), "held-out") {
		t.Errorf("held-out: got %v, want a refusal", err)
	}
	// The synth file alone exports its train tasks only.
	exs, err := Examples(Options{Synth: synth, DevDir: devDir, Build: fakeBuild, Render: fakeRender})
	if err != nil || len(exs) != 1 || exs[0].TaskID != "k1" || exs[0].Source != "gold" {
		b, _ := json.Marshal(exs)
		t.Errorf("synth only: %v %s", err, b)
	}
	// A dev question planted in the synth file's train split.
	tasks[1].Question = "Find all R-rated films."
	core.WriteTasks(synth, tasks)
	if _, err := Examples(Options{Synth: synth, DevDir: devDir, Build: fakeBuild, Render: fakeRender}); err == nil {
		t.Error("dev question in synth train split was exported")
	}
}

// The statements of a step-wise candidate that gave the gold's result are
// exported one by one, each after the transcript its model had read; a
// step-wise candidate with another result gives none.
func TestExportStepsOfARightStepwiseCandidate(t *testing.T) {
	steps := `[{"code":"df = a.join(b, on=\"k\")","ok":true,"observation":"# df: 2 rows\n"},` +
		`{"code":"result = df.filter(pl.col(\"x\") > 1)","ok":false,"observation":"# result = df.filter(pl.col(\"x\") > 1)\n# ^ failed: ColumnNotFoundError\n"},` +
		`{"code":"result = df.head(2)","ok":true,"observation":"# result: 2 rows\n","retry":true}]`
	run := writeRun(t,
		`{"id":"s1","question":"Join things.","tables":[],"answer":"result = df.head(2)","gold":"result = g","correct":true,"gold_verdict":{"ok":true,"fingerprint":`+fp+`},"server":{"candidates":[{"code":"x","ok":true,"fingerprint":`+fp+`,"steps":`+steps+`}]}}`,
		`{"id":"s2","question":"Other things.","tables":[],"answer":"result = y","gold":"result = g","correct":false,"gold_verdict":{"ok":true,"fingerprint":`+fp+`},"server":{"candidates":[{"code":"y","ok":true,"fingerprint":{"hash":"zzz","rows":2,"cols":1,"columns":["x"]},"steps":`+steps+`}]}}`,
	)
	exs, err := Examples(Options{Runs: []string{run}, Prefill: "```python\n", Build: fakeBuild, Render: fakeRender})
	if err != nil {
		t.Fatal(err)
	}
	var got []Example
	for _, ex := range exs {
		if ex.Source == "step" {
			got = append(got, ex)
		}
	}
	if len(got) != 2 || got[0].TaskID != "s1" || got[1].TaskID != "s1" || got[0].Messages != nil {
		t.Fatalf("step examples %+v", got)
	}
	head := "<system>sys</><user>Join things.</><assistant>```python\n" + runlog.StepwiseLead
	if got[0].Prompt != head || got[0].Completion != "df = a.join(b, on=\"k\")\n" {
		t.Errorf("first step: %q -> %q", got[0].Prompt, got[0].Completion)
	}
	want := head + "df = a.join(b, on=\"k\")\n# df: 2 rows\n# result = df.filter(pl.col(\"x\") > 1)\n# ^ failed: ColumnNotFoundError\n"
	if got[1].Prompt != want || got[1].Completion != "result = df.head(2)\n" {
		t.Errorf("retried step: %q -> %q", got[1].Prompt, got[1].Completion)
	}
}
