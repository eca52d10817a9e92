// Package answer is one question's path: schema, prompt, K candidates in one
// batched generation, execution in warm Polars workers, a vote over result
// fingerprints, an optional repair round, and one log record.
package answer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
	"polarsbench/harness/prompt"
	"polarsbench/harness/runlog"
	"polarsbench/harness/schema"
	"polarsbench/harness/worker"
	"polarsbench/infer"
)

// Generator is the inference engine as the pipeline needs it.
type Generator interface {
	Generate(ctx context.Context, r infer.Request) (infer.Result, error)
}

// Executor runs candidate code; *worker.Pool is the real one.
type Executor interface {
	Exec(ctx context.Context, j worker.Job) (worker.Outcome, error)
}

// Solver answers questions. It is safe for concurrent use: the engine
// serialises generation and the pool bounds execution.
type Solver struct {
	Engine   Generator
	Pool     Executor
	Schemas  *schema.Cache
	Bank     *prompt.Bank
	Settings Settings
	Model    string // logged with each record
}

// maxQuestionChars bounds what of a question reaches the prompt: a huge
// question must still get an answer, not a context overflow.
const maxQuestionChars = 2000

// Solve answers one question. It always returns a record with runnable code in
// Answer, whatever fails inside; failures are described in Record.Error.
// Examples with an id in exclude never reach the prompt (leave-one-out when
// the question comes from a bench whose answers are in the bank).
func (s *Solver) Solve(ctx context.Context, question string, tables []core.TableRef, exclude ...string) Record {
	start := time.Now()
	rec := Record{
		RequestID: newID(), Time: start.UTC().Format(time.RFC3339Nano), Model: s.Model,
		Question: question, Tables: tables, PromptVersion: prompt.Version, Settings: s.Settings, Chosen: -1,
	}
	var problems []string
	budget := time.Duration(s.Settings.BudgetS * float64(time.Second))
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()

	mark := time.Now()
	described := make([]*schema.Table, 0, len(tables))
	names := make([]string, 0, len(tables))
	for _, ref := range tables {
		names = append(names, ref.Name)
		t, err := s.Schemas.Describe(ref)
		if err != nil {
			problems = append(problems, fmt.Sprintf("schema %s: %v", ref.Name, err))
			continue
		}
		described = append(described, t)
	}
	rec.TimingsMS.Schema = ms(time.Since(mark))

	mark = time.Now()
	q := strings.TrimSpace(question)
	if len(q) > maxQuestionChars {
		q = strings.ToValidUTF8(q[:maxQuestionChars], "") // a cut may split a character
		problems = append(problems, fmt.Sprintf("question truncated from %d to %d characters", len(question), maxQuestionChars))
	}
	var examples []prompt.Example
	if s.Bank != nil && s.Settings.Examples > 0 {
		examples = s.Bank.Retrieve(q, names, s.Settings.Examples, exclude...)
	}
	rec.Examples = make([]string, 0, len(examples))
	for _, e := range examples {
		rec.Examples = append(rec.Examples, e.ID)
	}
	if s.Settings.JoinPlan {
		rec.JoinPlan = prompt.PlanJoins(described, schema.JoinKeys(described))
	}
	msgs := prompt.Build(q, described, rec.JoinPlan, examples)
	rec.PromptHash = hashMessages(msgs)
	rec.TimingsMS.Prompt = ms(time.Since(mark))

	if q == "" {
		problems = append(problems, "empty question")
	} else {
		greedyFirst := s.Settings.GreedyFirst == GreedyAlways || s.Settings.GreedyFirst == GreedySingle && len(tables) == 1
		vs := s.variants(s.Settings.candidates(len(tables)), rec.JoinPlan, greedyFirst)
		for i, v := range vs {
			r := s.request(msgs, v.k, v.lead)
			r.First = v.first
			res, err := s.Engine.Generate(ctx, r)
			if err != nil {
				problems = append(problems, fmt.Sprintf("generate (%s): %v", v.name, err))
			}
			if i == 0 {
				rec.PromptTokens, rec.CachedTokens = res.Timing.PromptTokens, res.Timing.CachedTokens
			}
			rec.TimingsMS.Prefill += res.Timing.PrefillMs
			rec.TimingsMS.Decode += res.Timing.DecodeMs
			rec.GeneratedTokens += res.Timing.TokensGenerated
			rec.SharedTokens += res.Timing.SharedTokens
			fresh := candidatesFrom(res, v.lead, false)
			vr := Variant{Name: v.name, Prefill: v.lead}
			for range fresh {
				vr.Members = append(vr.Members, len(rec.Candidates)+len(vr.Members))
			}
			rec.Variants = append(rec.Variants, vr)

			mark = time.Now()
			s.execute(ctx, tables, fresh)
			rec.Candidates = append(rec.Candidates, fresh...)
			rec.TimingsMS.Execute += ms(time.Since(mark))

			mark = time.Now()
			rec.Chosen, rec.Votes = ElectBy(rec.Candidates, s.Settings.Vote)
			rec.TimingsMS.Vote += ms(time.Since(mark))
			if err != nil {
				break
			}
			if rest := remaining(vs[i+1:]); rest > 0 && (decided(rec.Candidates, rec.Votes, rest) || greedyFirst && i == 0 && len(rec.Candidates) > 0 && rec.Candidates[0].OK) {
				rec.Skipped = rest
				break
			}
		}

		multi := len(described) >= 2
		stepwise := func() {
			mark := time.Now()
			plan := rec.JoinPlan
			if plan.Empty() {
				plan = prompt.PlanJoins(described, schema.JoinKeys(described))
			}
			one := []Candidate{s.stepwise(ctx, msgs, tables, described, plan)}
			s.execute(ctx, tables, one)
			rec.Variants = append(rec.Variants, Variant{Name: "stepwise", Prefill: runlog.StepwiseLead, Members: []int{len(rec.Candidates)}})
			rec.Candidates = append(rec.Candidates, one...)
			rec.Chosen, rec.Votes = ElectBy(rec.Candidates, s.Settings.Vote)
			rec.TimingsMS.Stepwise = ms(time.Since(mark))
		}
		// One more candidate can change the vote only where it is still open.
		if multi && ctx.Err() == nil && (s.Settings.Stepwise == StepwiseAlways || s.Settings.Stepwise == StepwiseOpen && !decided(rec.Candidates, rec.Votes, 1)) {
			stepwise()
		}

		if s.Settings.SchemaFix && anyFailed(rec.Candidates) {
			mark = time.Now()
			rec.Candidates = append(rec.Candidates, s.schemaFix(ctx, tables, described, rec.Candidates)...)
			rec.Chosen, rec.Votes = ElectBy(rec.Candidates, s.Settings.Vote)
			rec.TimingsMS.Fix = ms(time.Since(mark))
		}

		if multi && ctx.Err() == nil && s.Settings.Stepwise == StepwiseFallback && rec.Chosen < 0 {
			stepwise()
		}

		if rec.Chosen < 0 && s.Settings.Repair && len(rec.Candidates) > 0 {
			mark = time.Now()
			failed := rec.Candidates[0]
			for round := 0; round < max(1, s.Settings.RepairRounds) && time.Since(start) < budget/2 && ctx.Err() == nil; round++ {
				fixed := s.repair(ctx, msgs, tables, described, rec.JoinPlan, failed)
				rec.Candidates = append(rec.Candidates, fixed...)
				rec.Chosen, rec.Votes = ElectBy(rec.Candidates, s.Settings.Vote)
				if rec.Chosen >= 0 || len(fixed) == 0 {
					break
				}
				failed = fixed[0]
			}
			rec.TimingsMS.Repair = ms(time.Since(mark))
		}
	}

	switch {
	case rec.Chosen >= 0:
		rec.Answer = rec.Candidates[rec.Chosen].Code
		if s.Settings.Style && s.Bank != nil && ctx.Err() == nil {
			mark = time.Now()
			if problem := s.restyle(ctx, &rec, q, tables, described, exclude); problem != "" {
				problems = append(problems, problem)
			}
			rec.TimingsMS.Style = ms(time.Since(mark))
		}
	case len(rec.Candidates) > 0 && sandboxOnly(rec.Candidates[0].ErrorKind):
		// Our sandbox is stricter than the runner: code it refused or cut off may still run there.
		rec.Answer = rec.Candidates[0].Code
		problems = append(problems, "every candidate failed; answering with the greedy candidate, which only the sandbox refused")
	default:
		rec.Answer = FallbackCode(tables)
		problems = append(problems, "every candidate failed; answering with a placeholder")
	}
	if ctx.Err() != nil {
		problems = append(problems, fmt.Sprintf("time budget of %.0f s ran out", s.Settings.BudgetS))
	}
	rec.Error = strings.Join(problems, "; ")
	rec.TimingsMS.Total = ms(time.Since(start))
	return rec
}

// restyle gives the chosen answer's made columns the names of the bank's
// conventions (Style, learned leave-one-out from the examples the question may
// see) and answers with the renamed code if it runs to the same values
// (the names-insensitive fingerprint), shape included. The vote has already
// chosen the meaning; this only chooses the names, and the digits an
// aggregation the conventions round is rounded to (Style.Rounding), which
// changes float values only.
//
// Float columns are compared only by shape: Polars sums a float column over a
// group_by in another order from run to run, so its last digit (and the
// runner's hash) changes between two runs of the same code. Every other
// column must hash the same (Fingerprint.ColumnValues, in column order, which
// a rename keeps).
func (s *Solver) restyle(ctx context.Context, rec *Record, question string, tables []core.TableRef, described []*schema.Table, exclude []string) string {
	chosen := rec.Candidates[rec.Chosen]
	sources, decimals := map[string]bool{}, map[string]int{}
	for _, t := range described {
		for _, c := range t.Columns {
			sources[c.Name] = true
			if d, ok := decimals[c.Name]; !ok || d == c.Decimals {
				decimals[c.Name] = c.Decimals
			} else {
				decimals[c.Name] = -1 // two tables, two precisions: no rounding
			}
		}
	}
	style := LearnStyle(s.Bank.Others(question, exclude...), s.columnDecimals)
	code, renames := style.Restyle(chosen.Code, question, chosen.Fingerprint.Columns, sources)
	code, roundings := style.Rounding(code, question, decimals)
	renames = append(renames, roundings...)
	if len(renames) == 0 {
		return ""
	}
	out, err := s.Pool.Exec(ctx, s.job(tables, code))
	if err != nil || !out.OK || !sameValues(out, chosen.Fingerprint) {
		why := out.Error
		if err != nil {
			why = err.Error()
		}
		return fmt.Sprintf("style renames (%s) not kept: the renamed code did not give the same values (%s)", strings.Join(renames, ", "), why)
	}
	rec.Answer, rec.Style = code, strings.Join(renames, ", ")
	return ""
}

// columnDecimals is the precision of a column of an example's tables
// (LearnStyle's Decimals), read from their files through the schema cache;
// where a file is missing (a server started without the bundled tables), from
// a table of the same name that a question brought.
func (s *Solver) columnDecimals(ex prompt.Example, column string) (int, bool) {
	for _, ref := range ex.Files {
		t, err := s.Schemas.Describe(ref)
		if err != nil {
			if t = s.Schemas.Named(ref.Name); t == nil {
				continue
			}
		}
		if c, ok := t.Column(column); ok {
			return c.Decimals, true
		}
	}
	return 0, false
}

// sameValues reports whether a rename's outcome holds the values of want: the
// same names-insensitive fingerprint, or the same shape and the same column
// hashes wherever the column is no float (see restyle).
func sameValues(out worker.Outcome, want judge.Fingerprint) bool {
	got := out.Fingerprint
	if want.Values == "" || got.Rows != want.Rows || got.Cols != want.Cols {
		return false
	}
	if got.Values == want.Values {
		return true
	}
	if len(got.ColumnValues) != got.Cols || len(want.ColumnValues) != got.Cols || len(out.Dtypes) != got.Cols {
		return false
	}
	for i, d := range out.Dtypes {
		if !strings.HasPrefix(d, "Float") && got.ColumnValues[i] != want.ColumnValues[i] {
			return false
		}
	}
	return true
}

// variant is one generation request of a question: lead is code the answer
// starts with, written into the assistant turn after AssistantPrefill; first
// is the request's first candidate number (infer.Request.First).
type variant struct {
	name, lead string
	k, first   int
}

// variants splits the k candidates between prompts, so that one systematic
// mistake cannot take all of them. Over several tables half the candidates
// start from the join plan's chain (df = <chain>), the commonest failure being
// a column used from a table that was never joined; the prompt is shared up to
// the assistant turn, so the second variant costs almost no prefill.
//
// With greedyFirst the greedy candidate is asked for alone, and the sampled
// plain ones (numbered from 1, so the same as in one request) only when it
// fails: a greedy answer that runs is answered at once (see Settings.GreedyFirst).
func (s *Solver) variants(k int, plan prompt.JoinPlan, greedyFirst bool) []variant {
	vs := []variant{{name: "plain", k: k}}
	if plan.Chain != "" && k >= 2 {
		vs = []variant{{name: "plain", k: k - k/2}, {name: "join-chain", lead: "df = " + plan.Chain + "\n", k: k / 2}}
	}
	if greedyFirst && vs[0].k > 1 {
		vs = append([]variant{{name: "greedy", k: 1}, {name: "plain", k: vs[0].k - 1, first: 1}}, vs[1:]...)
	}
	return vs
}

func remaining(vs []variant) int {
	n := 0
	for _, v := range vs {
		n += v.k
	}
	return n
}

// decided reports whether rest more candidates could not change the vote's
// winner. The greedy candidate's group (g members) wins ties; every other
// successful candidate so far plus all rest new ones could at best form one
// group of others+rest. So with g at least that, the answer is already the one
// all K candidates would give, and the rest need not be generated.
func decided(cands []Candidate, votes []Vote, rest int) bool {
	if len(cands) == 0 || cands[0].Group < 0 {
		return false
	}
	g, others := votes[cands[0].Group].Count, 0
	for _, c := range cands {
		if c.Group >= 0 && c.Group != cands[0].Group {
			others++
		}
	}
	return g >= others+rest
}

func (s *Solver) request(msgs []infer.Message, k int, lead string) infer.Request {
	return infer.Request{
		Messages: msgs, K: k, Temperature: s.Settings.Temperature, TopP: s.Settings.TopP,
		Seed: s.Settings.Seed, MaxTokens: s.Settings.MaxTokens, Stop: []string{"```"}, Prefill: prompt.AssistantPrefill + lead,
	}
}

// candidatesFrom turns generated texts into candidates; lead is the code the
// prompt wrote for the model, which is part of the answer.
func candidatesFrom(res infer.Result, lead string, repair bool) []Candidate {
	out := make([]Candidate, 0, len(res.Candidates))
	for _, c := range res.Candidates {
		out = append(out, Candidate{
			Code: Normalize(prompt.ExtractCode(lead + c.Text)), Tokens: c.Tokens, MeanLogprob: c.MeanLogprob,
			Finish: c.Finish, Repair: repair, Group: -1,
		})
	}
	return out
}

// execute runs every distinct candidate code once, in parallel through the pool,
// and copies each outcome to all candidates with the same code.
func (s *Solver) execute(ctx context.Context, tables []core.TableRef, cands []Candidate) {
	byCode := map[string][]int{}
	for i, c := range cands {
		if strings.TrimSpace(c.Code) == "" {
			cands[i].ErrorKind, cands[i].Error = "empty", "the model produced no code"
			continue
		}
		byCode[c.Code] = append(byCode[c.Code], i)
	}
	var wg sync.WaitGroup
	for code, idx := range byCode {
		wg.Add(1)
		go func(code string, idx []int) {
			defer wg.Done()
			out, err := s.Pool.Exec(ctx, s.job(tables, code))
			for _, i := range idx {
				if err != nil {
					cands[i].ErrorKind, cands[i].Error = "pool", err.Error()
					continue
				}
				cands[i].OK, cands[i].ErrorKind, cands[i].Error, cands[i].Fingerprint = out.OK, out.ErrorKind, out.Error, out.Fingerprint
			}
		}(code, idx)
	}
	wg.Wait()
}

// job is one execution of code over the question's tables, with the
// settings' time limit.
func (s *Solver) job(tables []core.TableRef, code string) worker.Job {
	return worker.Job{Tables: tables, Code: code, Timeout: time.Duration(s.Settings.ExecTimeout * float64(time.Second))}
}

// repair asks once more, greedily, with the failed code, its error and what
// the schemas say about it (prompt.RepairHint). The conversation starts with
// the original prompt, so the engine's prefix cache reuses it.
func (s *Solver) repair(ctx context.Context, msgs []infer.Message, tables []core.TableRef, described []*schema.Table, plan prompt.JoinPlan, failed Candidate) []Candidate {
	reason := failed.Error
	if len(reason) > 600 {
		reason = reason[:600] + "..."
	}
	ask := "Running that code failed with:\n" + reason + "\n"
	if s.Settings.JoinPlan {
		if hint := prompt.RepairHint(failed.Error, described, plan); hint != "" {
			ask += hint + "\n"
		}
	}
	ask += "Write the corrected code. Assign the final DataFrame to `result`."
	conv := append(append([]infer.Message{}, msgs...),
		infer.Message{Role: "assistant", Content: prompt.AssistantPrefill + failed.Code + "\n```"},
		infer.Message{Role: "user", Content: ask},
	)
	res, err := s.Engine.Generate(ctx, s.request(conv, 1, ""))
	if err != nil {
		return nil
	}
	fixed := candidatesFrom(res, "", true)
	s.execute(ctx, tables, fixed)
	return fixed
}

// anyFailed reports whether a candidate failed with an error a schema fix may
// read. Fixes are tried even when another candidate ran: when most candidates
// make one fixable slip (a column named as the question names it, genre_name
// for ck_genres' name), the one that ran is often the odd one out.
func anyFailed(cands []Candidate) bool {
	for _, c := range cands {
		if !c.OK && c.Error != "" {
			return true
		}
	}
	return false
}

// maxFixes bounds the schema fixes tried for one question.
const maxFixes = 8

// schemaFix executes the schema fixes (SchemaFixes) of the failed candidates,
// and of the fixes that fail again with another column or name, up to three
// rounds: a column of a third table needs a second join.
func (s *Solver) schemaFix(ctx context.Context, tables []core.TableRef, described []*schema.Table, cands []Candidate) []Candidate {
	keys := schema.JoinKeys(described)
	tried := map[string]bool{}
	for _, c := range cands {
		tried[c.Code] = true
	}
	var out []Candidate
	failed := cands
	for round := 0; round < 3 && len(out) < maxFixes && ctx.Err() == nil; round++ {
		var next []Candidate
		for _, c := range failed {
			if c.OK || c.Error == "" {
				continue
			}
			for _, f := range SchemaFixes(c.Code, c.Error, described, keys) {
				if !tried[f.Code] && len(out)+len(next) < maxFixes {
					tried[f.Code] = true
					why := f.Why
					if c.Fix != "" {
						why = c.Fix + "; " + why
					}
					// The fix speaks for its candidate: a vote's tie goes to the likelier text.
					next = append(next, Candidate{Code: f.Code, Repair: true, Fix: why, Group: -1, MeanLogprob: c.MeanLogprob})
				}
			}
		}
		if len(next) == 0 {
			break
		}
		s.execute(ctx, tables, next)
		out = append(out, next...)
		failed = next
	}
	return out
}

// sandboxOnly is true for failures the runner would not reproduce: its Python
// has no import allowlist, no time limit and no memory cap. Every other failure
// (syntax, runtime, no result, not a DataFrame) fails there too, and code that
// never ran (the budget ran out first) is unverified: neither is returned.
func sandboxOnly(kind string) bool {
	switch kind {
	case "forbidden", "timeout", "memory", "crashed":
		return true
	}
	return false
}

// FallbackCode is valid code that assigns a DataFrame, for when nothing better exists.
func FallbackCode(tables []core.TableRef) string {
	for _, t := range tables {
		if core.IsIdentifier(t.Name) {
			return "result = " + t.Name
		}
	}
	return "result = pl.DataFrame()"
}

func hashMessages(msgs []infer.Message) string {
	b, _ := json.Marshal(msgs)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
