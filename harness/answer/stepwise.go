package answer

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/prompt"
	"polarsbench/harness/runlog"
	"polarsbench/harness/schema"
	"polarsbench/harness/worker"
	"polarsbench/infer"
)

// The step-wise source writes a candidate one statement at a time, in the
// same assistant turn as the single-shot candidates: after each statement the
// harness runs the program so far in a worker and writes what the statement
// made under it as Python comments (the frame's rows, columns with dtypes and
// first rows), so the model writes the next statement against the columns
// that really are there. A statement that fails is commented out, followed by
// the error, the schema hint and the columns of the frames it used, and the
// model writes it again (see stepwise for when it stops). The transcript only
// grows, so the engine's prefix cache decodes each observation once.

const (
	// defaultSteps is how many statements a step-wise candidate may execute
	// when Settings.StepwiseSteps is 0: the dev set's longest gold answers have five.
	defaultSteps = 8
	// maxStatementLines bounds the lines of one statement: each line is one
	// generation call, stopped at its newline.
	maxStatementLines = 6
	stepTokens        = 160 // tokens of one generated line
	observedColumns   = 24  // columns listed in an observation
	observedRows      = 2   // first rows shown in an observation
	observedValueLen  = 24  // characters of a shown value
	// maxStepFailures ends a candidate: each failed statement is retried once
	// (and again only when the retry fails otherwise), this many failures in all.
	maxStepFailures = 3
	// valueColumn names the one column of the frame that carries a non-frame
	// value's repr back from the worker (see observeCode).
	valueColumn = "__value__"
)

var (
	nameErrorRe       = regexp.MustCompile(`NameError: name '(\w+)' is not defined`)
	attributeColumnRe = regexp.MustCompile(`AttributeError: 'DataFrame' object has no attribute '(\w+)'`)
)

// stepwise writes one candidate a statement at a time (see above); its Steps
// log every attempt, and its Code is the statements that ran, in order, bound
// to result. When a statement fails for good (see below) the code ends with
// it, so that the candidate fails as it did; otherwise a candidate with no
// statement that ran has no code.
//
// A statement that fails is split where its method chain links (.join(...),
// .filter(...)): the links that run become statements of their own, each
// shown to the model, so the error is shown against the frame the failing
// link really had. The retry starts with the failed statement's target name:
// left free, the 1.5B model answers a note with more comments.
func (s *Solver) stepwise(ctx context.Context, msgs []infer.Message, tables []core.TableRef, described []*schema.Table, plan prompt.JoinPlan) Candidate {
	limit := s.Settings.StepwiseSteps
	if limit <= 0 {
		limit = defaultSteps
	}
	w := &stepWriter{s: s, ctx: ctx, tables: tables, frames: map[string][]string{}}
	for _, t := range described {
		w.frames[t.Ref.Name] = columnNames(t)
	}
	lead, avoid, failures, lastError := "", "", 0, ""
	// Each pass is one statement that ran or one failed attempt.
	for pass := 0; pass < 3*limit && len(w.program) < limit && ctx.Err() == nil; pass++ {
		mark := time.Now()
		raw, n, end := s.nextStatement(ctx, msgs, runlog.StepTranscript(w.steps), lead, avoid)
		w.tokens += n
		stmt := Normalize(raw) // drops imports, renames pre-1.0 calls: what runs is what is returned
		if onlyComments(stmt) {
			break // a model that only comments has nothing more to say
		}
		retry := lead != ""
		step := Step{Code: stmt, Tokens: n, GenerateMS: ms(time.Since(mark)), Retry: retry}
		name, out := w.run(stmt, &step)
		if out.OK {
			w.accept(name, stmt, out, step)
			if name == "result" {
				break
			}
			lead, avoid = "", ""
		} else {
			errText := out.Error
			if !retry {
				// The links of a failed chain that run are steps of their own.
				if v, link, linkErr, ok := w.splitRun(name, stmt, &step); ok {
					name, stmt = v, link
					if linkErr != "" {
						errText = linkErr
					}
				}
			}
			step.Code, step.Error = stmt, errText
			step.Observation = failureNote(stmt, step.Error, w.frames, described, plan)
			w.steps = append(w.steps, step)
			failures++
			if retry && firstLine(step.Error) == lastError || failures >= maxStepFailures || ctx.Err() != nil {
				// The retry failed the same way, or too much failed: the
				// candidate is the program with the failed statement, so that
				// it fails as it did and the vote leaves it out.
				w.failed = stmt
				break
			}
			lastError = firstLine(step.Error)
			if name != "" {
				lead = name + " = "
			}
			avoid = stmt
		}
		if end {
			break
		}
	}
	c := Candidate{Tokens: w.tokens, Finish: "steps", Group: -1, Steps: w.steps}
	switch {
	case w.failed != "":
		c.Code = strings.Join(append(w.program, w.failed), "\n")
	case len(w.program) > 0:
		c.Code = prompt.ExtractCode(strings.Join(w.program, "\n")) // binds the last frame to result when no step did
	}
	return c
}

// stepWriter is one step-wise candidate in the making.
type stepWriter struct {
	s       *Solver
	ctx     context.Context
	tables  []core.TableRef
	frames  map[string][]string // the columns of each table and assigned frame
	program []string            // the statements that ran
	steps   []Step
	failed  string // the statement that ended the candidate by failing
	tokens  int
}

func (w *stepWriter) run(stmt string, step *Step) (string, worker.Outcome) {
	mark := time.Now()
	name, out := w.s.runStep(w.ctx, w.tables, w.program, stmt)
	step.ExecuteMS = ms(time.Since(mark))
	return name, out
}

// accept adds a statement that ran to the program and shows its frame.
func (w *stepWriter) accept(name, stmt string, out worker.Outcome, step Step) {
	step.OK, step.Code, step.Observation = true, stmt, observe(name, out)
	w.steps = append(w.steps, step)
	w.program = append(w.program, stmt)
	if name != "" {
		w.frames[name] = out.Fingerprint.Columns
	}
}

// splitRun runs a failed "name = chain" link by link, each link a statement
// of its own ("df = a.join(b, ...)", "df = df.filter(...)"; df stands in for
// result). The links before the first one that fails are accepted; it returns
// the failing link's statement and error, with ok false when the chain has one link.
func (w *stepWriter) splitRun(name, stmt string, failed *Step) (v, link, errText string, ok bool) {
	links := chainLinks(strings.TrimSpace(strings.TrimPrefix(afterComments(stmt), name+" =")))
	if name == "" || len(links) < 2 {
		return "", "", "", false
	}
	v = name
	if v == "result" {
		v = "df"
	}
	for i := range links {
		link = v + " = " + links[i]
		if i > 0 {
			link = v + " = " + v + links[i]
		}
		step := Step{Tokens: failed.Tokens, GenerateMS: failed.GenerateMS}
		_, out := w.run(link, &step)
		if !out.OK {
			// Even the first link: the note then shows only it, so the
			// model rewrites that link instead of copying the whole chain.
			return v, link, out.Error, true
		}
		w.accept(v, link, out, step)
		failed.Tokens, failed.GenerateMS = 0, 0 // counted once, with the first link
	}
	// Every link ran: what failed is binding the whole to result (not a DataFrame, say).
	return name, name + " = " + v, "", true
}

// chainLinks splits a method chain where its calls link at the top level:
// "a.join(b).filter(c)" is "a.join(b)", ".filter(c)". A chain wrapped in one
// pair of parentheses is unwrapped first. Anything else is one link.
func chainLinks(expr string) []string {
	if strings.HasPrefix(expr, "(") && strings.HasSuffix(expr, ")") {
		if open, state := scanBrackets(expr[1 : len(expr)-1]); state == bracketsOpen && len(open) == 0 {
			expr = strings.TrimSpace(expr[1 : len(expr)-1])
		}
	}
	var links []string
	depth, from := 0, 0
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; c {
		case '"', '\'':
			end, ok := stringEnd(expr, i)
			if !ok {
				return []string{expr}
			}
			i = end
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case '.':
			if before := strings.TrimRight(expr[:i], " \t\n"); depth == 0 && strings.HasSuffix(before, ")") {
				links = append(links, strings.TrimSpace(expr[from:i]))
				from = i
			}
		}
	}
	return append(links, strings.TrimSpace(expr[from:]))
}

// nextStatement asks for the statement after the transcript, a line per
// generation call (each stopped at its newline), until its brackets close;
// the statement starts with lead, written for the model. A retry passes the
// failed statement as avoid: its first line is asked of two candidates, the
// greedy one and a sampled one, and the greedy one is taken only when it does
// not copy the failed line (the 1.5B model copies the comment right above).
// end is true when the model closed the code block, finished or ran out of
// tokens: whatever statement came with it is the last.
func (s *Solver) nextStatement(ctx context.Context, msgs []infer.Message, transcript, lead, avoid string) (stmt string, tokens int, end bool) {
	stmt = lead
	avoidFirst := prompt.OneLine(firstLine(avoid))
	for line := 0; line < maxStatementLines; line++ {
		k := 1
		if avoid != "" && line == 0 {
			k = 2
		}
		res, err := s.Engine.Generate(ctx, infer.Request{
			Messages: msgs, K: k, Temperature: s.Settings.Temperature, TopP: s.Settings.TopP, MaxTokens: stepTokens,
			Seed: s.Settings.Seed, Stop: []string{"\n"}, Prefill: prompt.AssistantPrefill + transcript + stmt,
		})
		if err != nil || len(res.Candidates) == 0 {
			return stmt, tokens, true
		}
		c := res.Candidates[0]
		copies := func(c infer.Candidate) bool {
			return prompt.OneLine(stmt+c.Text) == avoidFirst || strings.TrimSpace(c.Text) == ""
		}
		if len(res.Candidates) > 1 && copies(c) && !copies(res.Candidates[1]) {
			c = res.Candidates[1]
		}
		tokens += c.Tokens
		text, _, fenced := strings.Cut(c.Text, "```")
		stmt += text
		if fenced || c.Finish != "stop" {
			return stmt, tokens, true
		}
		if complete(stmt) && !onlyComments(stmt) {
			return stmt, tokens, false // a comment line belongs to the statement after it
		}
		stmt += "\n"
	}
	return stmt, tokens, false
}

// complete reports whether code is a whole statement: its brackets closed (or
// mismatched, a syntax error that more lines cannot fix), outside any string,
// and not continued by a backslash or a block's colon.
func complete(code string) bool {
	open, state := scanBrackets(code)
	switch {
	case state == bracketsMismatched:
		return true
	case state == stringOpen || len(open) > 0:
		return false
	}
	t := strings.TrimRight(code, " \t")
	return !strings.HasSuffix(t, "\\") && !strings.HasSuffix(t, ":")
}

// runStep executes the program with stmt after it and returns the name stmt
// assigns ("" for none) with the outcome: result itself when stmt assigns
// result, the assigned value as a frame otherwise (observeCode).
func (s *Solver) runStep(ctx context.Context, tables []core.TableRef, program []string, stmt string) (string, worker.Outcome) {
	name := prompt.AssignedName(afterComments(stmt))
	code := strings.Join(append(append([]string{}, program...), stmt), "\n")
	switch name {
	case "result":
	case "":
		code += "\nresult = pl.DataFrame()" // only whether it runs matters
	default:
		code += "\n" + observeCode(name)
	}
	out, err := s.Pool.Exec(ctx, s.job(tables, code))
	if err != nil {
		out = worker.Outcome{ErrorKind: "pool", Error: err.Error()}
	}
	return name, out
}

// observeCode binds result to what name holds, as a frame: a DataFrame as it
// is, a LazyFrame collected, a Series as its one-column frame, anything else
// (a number, a list) as its type and repr in the one cell of valueColumn.
func observeCode(name string) string {
	return fmt.Sprintf("result = %[1]s if isinstance(%[1]s, pl.DataFrame) else %[1]s.collect() if isinstance(%[1]s, pl.LazyFrame) "+
		"else %[1]s.to_frame() if isinstance(%[1]s, pl.Series) else pl.DataFrame({%[2]q: [str(type(%[1]s)) + \" \" + repr(%[1]s)[:200]]})",
		name, valueColumn)
}

// observe describes what a statement made, as comment lines: the frame's
// rows, its columns with their dtypes and its first rows; a value that is
// not a frame by its type and repr; nothing for a statement that assigns nothing.
func observe(name string, out worker.Outcome) string {
	if name == "" {
		return ""
	}
	cols := out.Fingerprint.Columns
	if len(cols) == 1 && cols[0] == valueColumn && len(out.Head) == 1 {
		// "<class 'int'> 77" reads "int 77" (the sandbox refuses __name__).
		v := fmt.Sprint(out.Head[0][valueColumn])
		if typ, rest, ok := strings.Cut(strings.TrimPrefix(v, "<class '"), "'> "); ok {
			v = typ + " " + rest
		}
		return fmt.Sprintf("# %s is %s\n", name, v)
	}
	shown := cols[:min(len(cols), observedColumns)]
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %d rows; columns: ", name, out.Fingerprint.Rows)
	for i, c := range shown {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c)
		if i < len(out.Dtypes) {
			b.WriteString(" " + shortDtype(out.Dtypes[i]))
		}
	}
	if len(cols) > len(shown) {
		fmt.Fprintf(&b, ", and %d more", len(cols)-len(shown))
	}
	b.WriteByte('\n')
	for _, row := range out.Head[:min(len(out.Head), observedRows)] {
		vals := make([]string, len(shown))
		for i, c := range shown {
			vals[i] = showValue(row[c])
		}
		fmt.Fprintf(&b, "# (%s)\n", strings.Join(vals, ", "))
	}
	return b.String()
}

// shortDtype drops a temporal dtype's parameters: Datetime(time_unit='us', time_zone=None) is Datetime.
func shortDtype(d string) string {
	for _, p := range []string{"Datetime", "Duration"} {
		if strings.HasPrefix(d, p+"(") {
			return p
		}
	}
	return d
}

func showValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if r := []rune(x); len(r) > observedValueLen {
			x = string(r[:observedValueLen]) + "..."
		}
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'g', 6, 64)
	}
	return fmt.Sprint(v)
}

// failureNote is what the model reads after a failed statement: the statement
// commented out, the error's first line, what the schemas say about it
// (prompt.RepairHint) and the columns of every frame the statement names.
func failureNote(stmt, errText string, frames map[string][]string, described []*schema.Table, plan prompt.JoinPlan) string {
	var b strings.Builder
	for _, l := range strings.Split(stmt, "\n") {
		b.WriteString("# " + l + "\n")
	}
	first, _, _ := strings.Cut(firstLine(errText), "; valid columns:") // listed below, per frame
	if len(first) > 300 {
		first = first[:300] + "..."
	}
	b.WriteString("# ^ failed: " + first + "\n")
	if m := nameErrorRe.FindStringSubmatch(errText); m != nil {
		fmt.Fprintf(&b, "# %s does not exist here; the frames are: %s\n", m[1], strings.Join(slices.Sorted(maps.Keys(frames)), ", "))
	}
	if m := attributeColumnRe.FindStringSubmatch(errText); m != nil && frameHas(frames, m[1]) {
		fmt.Fprintf(&b, "# a column is pl.col(%q) in an expression, not an attribute of the frame\n", m[1])
	}
	if hint := prompt.RepairHint(errText, described, plan); hint != "" {
		for _, l := range strings.Split(hint, "\n") {
			b.WriteString("# " + l + "\n")
		}
	}
	for _, n := range slices.Sorted(maps.Keys(frames)) {
		if !mentionsName(stmt, n) {
			continue
		}
		fmt.Fprintf(&b, "# %s columns: %s\n", n, strings.Join(frames[n], ", "))
	}
	return b.String()
}

func columnNames(t *schema.Table) []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return first
}

// frameHas reports whether any frame has the column.
func frameHas(frames map[string][]string, col string) bool {
	for _, cols := range frames {
		if slices.Contains(cols, col) {
			return true
		}
	}
	return false
}

// onlyComments reports whether code holds nothing but comments and blank lines.
func onlyComments(code string) bool {
	for _, l := range strings.Split(code, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

// afterComments is code without the comment and blank lines it starts with.
func afterComments(code string) string {
	lines := strings.Split(code, "\n")
	for len(lines) > 0 && onlyComments(lines[0]) {
		lines = lines[1:]
	}
	return strings.Join(lines, "\n")
}
