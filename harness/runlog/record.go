// Package runlog owns the per-question records and the files they live in:
// the server's Record (one line of server.jsonl per question), the scorer's
// Sample (one line of samples.jsonl), the fsynced JSON-lines append and the
// tolerant read (a torn last line, from a kill mid-write, is skipped).
// JSON names never change: old run folders must still read.
package runlog

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/fingerprint"
	"polarsbench/harness/judge"
)

// Timings are milliseconds per stage of one question.
type Timings struct {
	Schema  float64 `json:"schema"`
	Prompt  float64 `json:"prompt"`
	Prefill float64 `json:"prefill"`
	Decode  float64 `json:"decode"`
	Execute float64 `json:"execute"`
	Vote    float64 `json:"vote"`
	Fix     float64 `json:"fix"`
	// Stepwise is the step-wise source's wall time: its generation and execution together.
	Stepwise float64 `json:"stepwise"`
	Repair   float64 `json:"repair"`
	Style    float64 `json:"style"` // renaming the answer's columns and checking the renamed code
	Total    float64 `json:"total"`
}

// Stages are Timings' stages in order, Total aside: the keys of timings_ms
// that reports read.
var Stages = []string{"schema", "prompt", "prefill", "decode", "execute", "vote", "stepwise", "repair", "style"}

// Record is the log line of one question: everything needed to re-analyse it.
//
// Its Settings and JoinPlan are the answering package's types (S, P), so that
// this package, which scoring and reports import, does not pull in the prompt
// code; a reader that does not need them reads them as json.RawMessage.
type Record[S, P any] struct {
	RequestID     string          `json:"request_id"`
	Time          string          `json:"time"`
	Model         string          `json:"model,omitempty"`
	Question      string          `json:"question"`
	Tables        []core.TableRef `json:"tables"`
	PromptHash    string          `json:"prompt_hash"`
	PromptVersion string          `json:"prompt_version"`
	PromptTokens  int             `json:"prompt_tokens"`
	CachedTokens  int             `json:"cached_tokens"`
	// GeneratedTokens the candidates drew, SharedTokens of them from a forward
	// pass another candidate with the same text so far also drew from.
	GeneratedTokens int         `json:"generated_tokens"`
	SharedTokens    int         `json:"shared_tokens"`
	Examples        []string    `json:"examples"`
	JoinPlan        P           `json:"join_plan"`
	Variants        []Variant   `json:"variants"`
	Skipped         int         `json:"skipped"` // candidates not generated: the vote was already decided, or the greedy one ran (greedy_first)
	Candidates      []Candidate `json:"candidates"`
	Votes           []Vote      `json:"votes"`
	Chosen          int         `json:"chosen"` // index into Candidates; -1 when the answer is a fallback
	Answer          string      `json:"answer"`
	// Style lists the renames of the chosen candidate's columns that made the
	// answer ("total_order_value -> total_value"; answer.Style); empty when
	// the answer is the chosen candidate's code as it is.
	Style     string  `json:"style,omitempty"`
	Error     string  `json:"error"` // what went wrong inside, when anything did
	Settings  S       `json:"settings"`
	TimingsMS Timings `json:"timings_ms"`
}

// Variant is one prompt the candidates came from: Members index Candidates.
type Variant struct {
	Name    string `json:"name"`
	Prefill string `json:"prefill"`
	Members []int  `json:"members"`
}

// Candidate is one generated answer and what executing it gave.
type Candidate struct {
	Code        string  `json:"code"`
	Tokens      int     `json:"tokens"`
	MeanLogprob float64 `json:"mean_logprob"`
	Finish      string  `json:"finish"`
	Repair      bool    `json:"repair,omitempty"` // produced by the repair round
	Fix         string  `json:"fix,omitempty"`    // the schema fix that rewrote a failed candidate (answer.SchemaFixes)
	// Steps are a step-wise candidate's statements as generated and executed,
	// failed attempts included; its Code is the ones that ran, in order, and
	// the failed one that ended it, if any (so that it fails and takes no vote).
	Steps       []Step                  `json:"steps,omitempty"`
	OK          bool                    `json:"ok"`
	ErrorKind   string                  `json:"error_kind,omitempty"`
	Error       string                  `json:"error,omitempty"`
	Fingerprint fingerprint.Fingerprint `json:"fingerprint"`
	Group       int                     `json:"group"` // index into the votes; -1 when it failed
}

// Step is one statement of a step-wise candidate: the code the model wrote,
// what executing the program up to it showed the model (the frame's shape,
// columns and first rows, or the error and the columns at hand), and its cost.
type Step struct {
	Code        string  `json:"code"`
	OK          bool    `json:"ok"`
	Observation string  `json:"observation"`
	Error       string  `json:"error,omitempty"`
	Retry       bool    `json:"retry,omitempty"` // a second attempt after this step's first failed
	Tokens      int     `json:"tokens"`
	GenerateMS  float64 `json:"generate_ms"`
	ExecuteMS   float64 `json:"execute_ms"`
}

// StepwiseLead opens a step-wise candidate's part of the assistant turn: it
// tells the model what the comments under its statements are.
const StepwiseLead = "# One statement at a time; the frame each one makes is described under it.\n"

// StepTranscript is what a step-wise candidate's model had read after
// AssistantPrefill when it wrote the statement after steps: the lead, then
// each statement that ran with the frame it made, and for each failed one its
// note (the statement commented out, the error, the hints). The step-wise
// source writes its prompts with it and the training export reads them back.
func StepTranscript(steps []Step) string {
	var b strings.Builder
	b.WriteString(StepwiseLead)
	for _, st := range steps {
		if st.OK {
			b.WriteString(st.Code + "\n")
		}
		b.WriteString(st.Observation)
	}
	return b.String()
}

// Vote is one group of candidates whose results have the same fingerprint.
type Vote struct {
	FingerprintHash string `json:"fingerprint_hash"` // the runner's hash of the group's first member
	// ValuesHash is the names-insensitive fingerprint the group shares when
	// grouped by values (VoteValues); empty under VoteStrict.
	ValuesHash string `json:"values_hash,omitempty"`
	Rows       int    `json:"rows"`
	Cols       int    `json:"cols"`
	Count      int    `json:"count"`
	Members    []int  `json:"members"`
}

// ServerLine is the part of the server's Record kept in each sample of a
// scored run (Sample.Server): the same JSON names (a test holds them to
// Record's), with what a run may lack left out or kept raw.
type ServerLine struct {
	PromptHash      string             `json:"prompt_hash,omitempty"`
	PromptVersion   string             `json:"prompt_version,omitempty"`
	PromptTokens    int                `json:"prompt_tokens,omitempty"`
	CachedTokens    int                `json:"cached_tokens,omitempty"` // of PromptTokens, served by the engine's prefix cache
	GeneratedTokens int                `json:"generated_tokens,omitempty"`
	SharedTokens    int                `json:"shared_tokens,omitempty"` // of GeneratedTokens, drawn from another candidate's forward pass
	Examples        json.RawMessage    `json:"examples,omitempty"`
	Candidates      json.RawMessage    `json:"candidates,omitempty"`
	Votes           json.RawMessage    `json:"votes,omitempty"`
	Chosen          *int               `json:"chosen,omitempty"`
	Style           string             `json:"style,omitempty"` // the renames that made the answer (Record.Style)
	Error           string             `json:"error,omitempty"`
	TimingsMS       map[string]float64 `json:"timings_ms,omitempty"`
}

// ServerCandidates decodes the candidates a ServerLine keeps raw; none for a
// nil line or a line without them.
func (l *ServerLine) ServerCandidates() ([]Candidate, error) {
	if l == nil || len(l.Candidates) == 0 || string(l.Candidates) == "null" {
		return nil, nil
	}
	var cs []Candidate
	if err := json.Unmarshal(l.Candidates, &cs); err != nil {
		return nil, fmt.Errorf("server candidates: %w", err)
	}
	return cs, nil
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
