// Package export turns scored runs and synthetic tasks into supervised
// fine-tuning lines (train.jsonl): verified model answers first, gold code
// where no candidate was right; dev and held-out tasks never go in.
package export

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"polarsbench/datasets/core"
	"polarsbench/harness/prompt"
	"polarsbench/harness/runlog"
	"polarsbench/harness/schema"
	"polarsbench/infer"
)

// Example is one supervised fine-tuning line of train.jsonl. A step of a
// step-wise candidate has no Messages: its prompt ends inside the assistant
// turn, after the statements and frames the model had read (train_lora.py
// then trains on Prompt and Completion as they are).
type Example struct {
	Messages   []infer.Message `json:"messages,omitempty"` // system, user, assistant target
	Prompt     string          `json:"prompt"`             // rendered chat up to the assistant turn
	Completion string          `json:"completion"`         // rendered assistant target (loss goes here)
	TaskID     string          `json:"task_id"`
	Category   string          `json:"category,omitempty"`
	Run        string          `json:"run,omitempty"` // run folder the target came from; empty for synth gold
	Source     string          `json:"source"`        // "model", "gold" or "step"
}

// Options says what to export and how to render it: Build makes the prompt
// messages of a question, Render renders a conversation with the model's chat
// template, Prefill opens the assistant turn (InferencePrompt fills all three
// as inference does).
type Options struct {
	Runs    []string
	Synth   string
	DevDir  string
	Prefill string
	Build   func(question string, tables []core.TableRef) ([]infer.Message, error)
	Render  func(msgs []infer.Message, addAssistant bool) (string, error)
}

// target is one chosen (question, code) pair before rendering; a step's code
// continues transcript (runlog.StepTranscript) inside the assistant turn.
type target struct {
	task       core.Task
	code       string
	run        string
	source     string
	transcript string
}

// Examples builds the training examples. It refuses, naming the culprit, when a
// dev question or a held-out synthetic task would enter the training set.
func Examples(o Options) ([]Example, error) {
	if len(o.Runs) == 0 && o.Synth == "" {
		return nil, errors.New("export: give --runs and/or --synth")
	}
	if o.Build == nil || o.Render == nil {
		return nil, errors.New("export: prompt builder and renderer are required")
	}
	devIDs, devQs := map[string]bool{}, map[string]bool{}
	if o.DevDir != "" {
		dev, err := core.LoadBench(o.DevDir, "")
		if err != nil {
			return nil, fmt.Errorf("export: dev questions: %w", err)
		}
		for _, t := range dev {
			devIDs[t.ID], devQs[core.NormalizeQuestion(t.Question)] = true, true
		}
	}
	var synth []core.Task
	heldIDs, heldQs := map[string]bool{}, map[string]bool{}
	if o.Synth != "" {
		var err error
		if synth, err = core.LoadBench(o.Synth, ""); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		for _, t := range synth {
			if t.Split == "heldout" {
				heldIDs[t.ID], heldQs[core.NormalizeQuestion(t.Question)] = true, true
			}
		}
	}
	forbidden := func(t core.Task, where string) error {
		switch {
		case t.Split == "dev" || devIDs[t.ID] || devQs[core.NormalizeQuestion(t.Question)]:
			return fmt.Errorf("export: refusing: %s holds dev question %s (%q); dev questions never go into training", where, t.ID, t.Question)
		case t.Split == "heldout" || heldIDs[t.ID] || heldQs[core.NormalizeQuestion(t.Question)]:
			return fmt.Errorf("export: refusing: %s holds held-out task %s (%q)", where, t.ID, t.Question)
		}
		return nil
	}

	chosen := map[string]*target{}
	var order []string
	var steps []*target
	stepSeen := map[string]bool{}
	for _, run := range o.Runs {
		samples, err := readRunSamples(run)
		if err != nil {
			return nil, err
		}
		for _, s := range samples {
			t := core.Task{ID: s.ID, Question: s.Question, Tables: s.Tables, GoldCode: s.Gold, Category: s.Category}
			if err := forbidden(t, run); err != nil {
				return nil, err
			}
			cands, err := s.Server.ServerCandidates()
			if err != nil {
				return nil, fmt.Errorf("export: run %s: %s: %w", run, s.ID, err)
			}
			for _, st := range stepTargets(s, cands) {
				st.task, st.run = t, filepath.Base(filepath.Clean(run))
				if key := s.ID + "\x00" + st.transcript + st.code; !stepSeen[key] {
					stepSeen[key] = true
					steps = append(steps, st)
				}
			}
			tg := pickTarget(s, cands)
			if tg == nil {
				continue
			}
			tg.task, tg.run = t, filepath.Base(filepath.Clean(run))
			prev, seen := chosen[s.ID]
			if !seen {
				order = append(order, s.ID)
			}
			if !seen || (prev.source == "gold" && tg.source == "model") {
				chosen[s.ID] = tg
			}
		}
	}
	for _, t := range synth {
		if t.Split == "heldout" {
			continue // held out by design: never exported
		}
		if err := forbidden(t, o.Synth); err != nil {
			return nil, err
		}
		if _, seen := chosen[t.ID]; seen || strings.TrimSpace(t.GoldCode) == "" {
			continue
		}
		chosen[t.ID] = &target{task: t, code: t.GoldCode, source: "gold"}
		order = append(order, t.ID)
	}

	// A task's prompt is built and rendered once, for its target and all its steps.
	type built struct {
		msgs   []infer.Message
		prompt string
	}
	prompts := map[string]built{}
	promptOf := func(t core.Task) (built, error) {
		if b, ok := prompts[t.ID]; ok {
			return b, nil
		}
		msgs, err := o.Build(t.Question, t.Tables)
		if err != nil {
			return built{}, fmt.Errorf("export: task %s: %w", t.ID, err)
		}
		prompt, err := o.Render(msgs, true)
		if err != nil {
			return built{}, fmt.Errorf("export: task %s: %w", t.ID, err)
		}
		prompts[t.ID] = built{msgs, prompt}
		return prompts[t.ID], nil
	}

	out := make([]Example, 0, len(order)+len(steps))
	for _, id := range order {
		tg := chosen[id]
		b, err := promptOf(tg.task)
		if err != nil {
			return nil, err
		}
		msgs, prompt := b.msgs, b.prompt
		answer := o.Prefill + strings.TrimSpace(tg.code) + "\n```"
		conv := append(append([]infer.Message{}, msgs...), infer.Message{Role: "assistant", Content: answer}) // msgs is shared with the task's steps
		full, err := o.Render(conv, false)
		if err != nil {
			return nil, fmt.Errorf("export: task %s: %w", id, err)
		}
		if !strings.HasPrefix(full, prompt) {
			return nil, fmt.Errorf("export: task %s: rendered prompt is not a prefix of the rendered conversation", id)
		}
		out = append(out, Example{
			Messages: conv,
			Prompt:   prompt, Completion: full[len(prompt):],
			TaskID: id, Category: tg.task.Category, Run: tg.run, Source: tg.source,
		})
	}
	for _, tg := range steps {
		b, err := promptOf(tg.task)
		if err != nil {
			return nil, err
		}
		out = append(out, Example{
			Prompt: b.prompt + o.Prefill + tg.transcript, Completion: tg.code + "\n",
			TaskID: tg.task.ID, Category: tg.task.Category, Run: tg.run, Source: tg.source,
		})
	}
	return out, nil
}

// stepTargets are the statements of the sample's step-wise candidates whose
// result is the gold's: each one, after the transcript its model had read, is
// a supervised step.
func stepTargets(s runlog.Sample, cands []runlog.Candidate) []*target {
	var out []*target
	for _, c := range cands {
		if len(c.Steps) == 0 || !c.OK || !s.GoldVerdict.OK || !c.Fingerprint.Matches(s.GoldVerdict.Fingerprint) {
			continue
		}
		for i, st := range c.Steps {
			if st.OK {
				out = append(out, &target{code: st.Code, source: "step", transcript: runlog.StepTranscript(c.Steps[:i])})
			}
		}
	}
	return out
}

// pickTarget prefers code the model itself wrote that matched the gold (the
// chosen answer, else any candidate with the gold's fingerprint), then the gold.
func pickTarget(s runlog.Sample, cands []runlog.Candidate) *target {
	if s.Correct && strings.TrimSpace(s.Answer) != "" {
		return &target{code: s.Answer, source: "model"}
	}
	if s.GoldVerdict.OK {
		for _, c := range cands {
			if c.OK && strings.TrimSpace(c.Code) != "" && c.Fingerprint.Matches(s.GoldVerdict.Fingerprint) {
				return &target{code: c.Code, source: "model"}
			}
		}
	}
	if strings.TrimSpace(s.Gold) != "" && s.GoldVerdict.OK {
		return &target{code: s.Gold, source: "gold"}
	}
	return nil
}

// readRunSamples reads a scored run's samples.jsonl; unlike runlog.Read it
// refuses a missing file and any line that does not decode, the last included:
// training data comes from finished runs only.
func readRunSamples(dir string) ([]runlog.Sample, error) {
	path := filepath.Join(dir, "samples.jsonl")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("export: run %s: %w", dir, err)
	}
	defer f.Close()
	var out []runlog.Sample
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var s runlog.Sample
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("export: %s:%d: %v", path, line, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// WriteExamples writes one example per line.
func WriteExamples(path string, exs []Example) error { return core.WriteJSONLines(path, exs) }

// InferencePrompt fills Build, Render and Prefill with exactly what inference
// uses: prompt.Build over the described tables and their join plan, rendered
// with the chat template named (chatml for Qwen).
func (o Options) InferencePrompt(template string) Options {
	cache := schema.NewCache()
	o.Prefill = prompt.AssistantPrefill
	o.Build = func(q string, refs []core.TableRef) ([]infer.Message, error) {
		tables := make([]*schema.Table, len(refs))
		for i, r := range refs {
			t, err := cache.Describe(r)
			if err != nil {
				return nil, err
			}
			tables[i] = t
		}
		return prompt.Build(q, tables, prompt.PlanJoins(tables, schema.JoinKeys(tables)), nil), nil
	}
	o.Render = func(msgs []infer.Message, addAssistant bool) (string, error) {
		return infer.RenderChat(template, msgs, addAssistant)
	}
	return o
}
