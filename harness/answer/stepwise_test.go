package answer

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"polarsbench/harness/runlog"
	"polarsbench/harness/schema"
	"polarsbench/harness/worker"
	"polarsbench/infer"
)

// lineScript is a fake engine for the step-wise source: single-shot requests
// (stopped at the code fence) get whole, failing code; step requests (stopped
// at the newline) get the script's lines in turn, then the closing fence. It
// keeps the step requests' prefills: what the model was shown.
type lineScript struct {
	single string
	lines  []string
	alt    string // the second candidate of a two-candidate request (a retry's sampled one)
	delay  time.Duration

	mu       sync.Mutex
	prefills []string
}

func (g *lineScript) Generate(ctx context.Context, r infer.Request) (infer.Result, error) {
	if r.Stop[0] != "\n" {
		return oneAnswer{g.single}.Generate(ctx, r)
	}
	select {
	case <-time.After(g.delay):
	case <-ctx.Done():
		return infer.Result{}, ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	line := "```"
	if i := len(g.prefills); i < len(g.lines) {
		line = g.lines[i]
	}
	g.prefills = append(g.prefills, r.Prefill)
	// A statement the harness started (the retry's target name) goes on from there.
	if start := r.Prefill[strings.LastIndexByte(r.Prefill, '\n')+1:]; start != "" {
		line = strings.TrimPrefix(line, start)
	}
	res := infer.Result{Candidates: []infer.Candidate{{Text: line, Tokens: 7, Finish: "stop"}}}
	if r.K == 2 {
		res.Candidates = append(res.Candidates, infer.Candidate{Text: g.alt, Tokens: 5, Finish: "stop"})
	}
	return res, nil
}

func realPool(t *testing.T) *worker.Pool {
	t.Helper()
	pool, err := worker.NewPool(context.Background(), worker.Options{Python: workerPython(t), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool
}

func stepSolver(t *testing.T, g Generator) *Solver {
	s := &Solver{Engine: g, Pool: realPool(t), Schemas: schema.NewCache(), Settings: DefaultSettings()}
	s.Settings.Stepwise, s.Settings.SchemaFix, s.Settings.Repair = StepwiseOpen, false, false
	return s
}

// A failing statement is shown to the model with its error and the real
// columns of the frame it used, and written again; every statement is
// executed, and the answer is the statements that ran.
func TestStepwiseRetriesAFailedStepWithTheColumns(t *testing.T) {
	g := &lineScript{
		single: `result = nw_products.select("category_name")`, // fails: the vote is open
		lines: []string{
			`df = nw_products.filter(pl.col("category_name") == "Beverages")`,
			`df = nw_products.join(nw_categories, on="category_id")`,
			`result = (`, `    df.filter(pl.col("category_name") == "Beverages")`, `    .select("product_name")`, `)`,
		},
	}
	s := stepSolver(t, g)
	rec := s.Solve(context.Background(), "Names of the beverages.", devTables(t, "nw_categories", "nw_products"))
	if rec.Chosen < 0 {
		t.Fatalf("no answer: %s", rec.Error)
	}
	c := rec.Candidates[rec.Chosen]
	if len(c.Steps) != 3 || c.Steps[0].OK || !c.Steps[1].OK || !c.Steps[1].Retry || !c.Steps[2].OK {
		t.Fatalf("steps %+v", c.Steps)
	}
	want := g.lines[1] + "\n" + strings.Join(g.lines[2:], "\n")
	if c.Code != want || rec.Answer != want || c.Steps[2].Code != strings.Join(g.lines[2:], "\n") {
		t.Fatalf("code %q, want the executed steps %q", c.Code, want)
	}
	if v := rec.Variants[len(rec.Variants)-1]; v.Name != "stepwise" || v.Members[0] != rec.Chosen {
		t.Fatalf("variants %+v", rec.Variants)
	}
	// The retry was asked after the error and nw_products' real columns.
	retry := g.prefills[1]
	for _, want := range []string{
		"# " + g.lines[0] + "\n# ^ failed: ColumnNotFoundError",
		`Column "category_name" is in nw_categories`,
		"# nw_products columns: product_id, product_name,",
	} {
		if !strings.Contains(retry, want) {
			t.Errorf("retry prompt lacks %q:\n%s", want, retry)
		}
	}
	// The next statement was asked after the joined frame's description.
	next := g.prefills[2]
	if !strings.Contains(next, g.lines[1]+"\n# df: 200 rows; columns: product_id Int64,") || !strings.Contains(next, "category_name String") {
		t.Errorf("no observation of df:\n%s", next)
	}
	if !strings.HasSuffix(g.prefills[3], "`result = (\n") && !strings.HasSuffix(g.prefills[3], "result = (\n") {
		t.Errorf("a statement's second line was asked without its first: %q", g.prefills[3])
	}
	// What the model read before each step is the steps' transcript, which the training export rebuilds.
	if g.prefills[2] != "```python\n"+runlog.StepTranscript(c.Steps[:2]) {
		t.Errorf("prompt of step 3 %q is not the transcript of steps 1-2", g.prefills[2])
	}
	if rec.TimingsMS.Stepwise <= 0 {
		t.Error("no step-wise timing")
	}
}

// A failed chain is run link by link: the links that run become steps, shown
// to the model, and the retry is asked after the failing link, from its target.
func TestStepwiseSplitsAFailedChain(t *testing.T) {
	join := `nw_products.join(nw_categories, on="category_id")`
	g := &lineScript{single: "result = nope", lines: []string{`result = ` + join + `.filter(pl.col("nope") > 1)`, `df = df.head(2)`}}
	s := stepSolver(t, g)
	rec := s.Solve(context.Background(), "Two products with their category.", devTables(t, "nw_categories", "nw_products"))
	c := rec.Candidates[len(rec.Candidates)-1]
	want := "df = " + join + "\ndf = df.head(2)\nresult = df"
	if c.Code != want || !c.OK || len(c.Steps) != 3 || c.Steps[1].OK || c.Steps[1].Code != `df = df.filter(pl.col("nope") > 1)` {
		t.Fatalf("code %q ok %v steps %+v", c.Code, c.OK, c.Steps)
	}
	retry := g.prefills[1]
	if !strings.HasSuffix(retry, "# df columns: product_id, product_name, supplier_id, category_id, unit_price, units_in_stock, units_on_order, reorder_level, discontinued, category_name, description\ndf = ") ||
		!strings.Contains(retry, "df = "+join+"\n# df: 200 rows;") {
		t.Fatalf("retry prompt:\n%s", retry)
	}
	// When the first link fails, the note shows that link alone: the model
	// rewrites it instead of copying the whole chain.
	g = &lineScript{single: "result = nope", lines: []string{`result = nw_products.filter(pl.col("nope") > 1).head(2)`, `df = nw_products.head(2)`}}
	s = stepSolver(t, g)
	rec = s.Solve(context.Background(), "Two products.", devTables(t, "nw_categories", "nw_products"))
	c = rec.Candidates[len(rec.Candidates)-1]
	if c.Code != "df = nw_products.head(2)\nresult = df" || !strings.HasSuffix(g.prefills[1], "# df = nw_products.filter(pl.col(\"nope\") > 1)\n# ^ failed: ColumnNotFoundError: unable to find column \"nope\"\n"+
		"# No table has a column \"nope\". The columns are:\n"+
		"#   nw_categories: category_id, category_name, description\n"+
		"#   nw_products: category_id, discontinued, product_id, product_name, reorder_level, supplier_id, unit_price, units_in_stock, units_on_order\n"+
		"# nw_products columns: product_id, product_name, supplier_id, category_id, unit_price, units_in_stock, units_on_order, reorder_level, discontinued\ndf = ") {
		t.Fatalf("first link failed: code %q, retry prompt:\n%s", c.Code, g.prefills[1])
	}
	if l := chainLinks("(a.join(b, on=\"x\")\n .filter(pl.col(\"y\").is_in([\"a.b\"]))\n .head(2))"); len(l) != 3 || l[1] != `.filter(pl.col("y").is_in(["a.b"]))` {
		t.Errorf("links %q", l)
	}
}

// The step limit and the time budget end the source; a second failure ends
// it too. What ran is still a candidate, bound to result.
func TestStepwiseLimits(t *testing.T) {
	tables := devTables(t, "nw_categories", "nw_products")
	g := &lineScript{single: "result = nope", lines: []string{"a = nw_products", "# a comment", "b = a.head(3)", "c = b.head(2)", "d = c"}}
	s := stepSolver(t, g)
	s.Settings.StepwiseSteps = 2
	rec := s.Solve(context.Background(), "Three products.", tables)
	c := rec.Candidates[len(rec.Candidates)-1]
	// A comment line belongs to the statement after it.
	if len(c.Steps) != 2 || c.Code != "a = nw_products\n# a comment\nb = a.head(3)\nresult = b" || !c.OK || c.Fingerprint.Rows != 3 ||
		!strings.HasPrefix(c.Steps[1].Observation, "# b: 3 rows;") {
		t.Fatalf("step limit 2: steps %+v code %q ok %v", c.Steps, c.Code, c.OK)
	}

	// A retry that fails the same way ends the candidate, which keeps the
	// failed statement: it fails as it did and takes no vote.
	g = &lineScript{single: "result = nope", lines: []string{"a = nw_products", "b = nope", "nope", "c = a"}}
	s = stepSolver(t, g)
	rec = s.Solve(context.Background(), "Products.", tables)
	c = rec.Candidates[len(rec.Candidates)-1]
	if len(c.Steps) != 3 || !c.Steps[2].Retry || c.Code != "a = nw_products\nb = nope" || c.OK || rec.Chosen >= 0 {
		t.Fatalf("a failed retry: steps %+v code %q", c.Steps, c.Code)
	}
	// One that fails otherwise is retried again, up to maxStepFailures.
	g = &lineScript{single: "result = nope", lines: []string{"b = nope", "nope2", "nope3", "nope4"}}
	s = stepSolver(t, g)
	rec = s.Solve(context.Background(), "Products.", tables)
	if c = rec.Candidates[len(rec.Candidates)-1]; len(c.Steps) != maxStepFailures || c.Code != "b = nope3" {
		t.Fatalf("failures: steps %+v code %q", c.Steps, c.Code)
	}

	g = &lineScript{single: "result = nope", delay: 300 * time.Millisecond}
	for i := 0; i < 50; i++ {
		g.lines = append(g.lines, "a = nw_products")
	}
	s = stepSolver(t, g)
	s.Settings.BudgetS, s.Settings.StepwiseSteps = 1, 20
	start := time.Now()
	rec = s.Solve(context.Background(), "Products.", tables)
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("a 1 s budget took %s", took)
	}
	c = rec.Candidates[len(rec.Candidates)-1]
	if n := len(c.Steps); n < 1 || n > 4 || !strings.Contains(rec.Error, "time budget") {
		t.Fatalf("budget: %d steps, error %q", n, rec.Error)
	}
}

// A value that is not a frame is shown by its type and repr; a temporal
// dtype without its parameters.
func TestObserve(t *testing.T) {
	pool := realPool(t)
	tables := devTables(t, "nw_products")
	s := &Solver{Pool: pool, Settings: DefaultSettings()}
	name, out := s.runStep(context.Background(), tables, []string{"df = nw_products"}, "n = df.height")
	if got := observe(name, out); got != "# n is int 200\n" {
		t.Errorf("scalar: %q", got)
	}
	name, out = s.runStep(context.Background(), tables, nil, `s = nw_products["product_name"].head(2)`)
	if got := observe(name, out); !strings.HasPrefix(got, "# s: 2 rows; columns: product_name String\n# (\"") {
		t.Errorf("series: %q", got)
	}
	if shortDtype("Datetime(time_unit='us', time_zone=None)") != "Datetime" || shortDtype("List(String)") != "List(String)" {
		t.Error("shortDtype")
	}
	for code, want := range map[string]bool{
		"a = b": true, "a = (b": false, "a = f(')')": true, "a = b \\": false, "for x in y:": false, "a = b)": true, `a = "x`: false,
	} {
		if complete(code) != want {
			t.Errorf("complete(%q) = %v", code, !want)
		}
	}
}

// Which questions get a step-wise candidate: fallback only when no candidate
// ran, open when one more could change the vote, always over two tables or
// more; never over one table.
func TestStepwiseModes(t *testing.T) {
	two := devTables(t, "nw_categories", "nw_products")
	for _, c := range []struct {
		mode, single string
		tables       int
		want         bool
	}{
		{StepwiseFallback, "result = nope", 2, true},
		{StepwiseFallback, "result = nw_products.head(1)", 2, false},
		{StepwiseOpen, "result = nw_products.head(1)", 2, false}, // four agreeing candidates
		{StepwiseAlways, "result = nw_products.head(1)", 2, true},
		{StepwiseAlways, "result = nw_products.head(1)", 1, false},
		{"", "result = nope", 2, false},
	} {
		g := &lineScript{single: c.single, lines: []string{"result = nw_products.head(2)"}}
		s := stepSolver(t, g)
		s.Settings.Stepwise = c.mode
		rec := s.Solve(context.Background(), "Products.", two[2-c.tables:])
		got := rec.Variants[len(rec.Variants)-1].Name == "stepwise"
		if got != c.want || got && rec.Answer == "result = nw_products" {
			t.Errorf("%q over %d tables, single-shot %q: step-wise %v, answer %q", c.mode, c.tables, c.single, got, rec.Answer)
		}
	}
}

// A retry that copies the failed statement is replaced by the sampled
// candidate; a name that does not exist is answered with the frames that do.
func TestStepwiseRetryDoesNotCopy(t *testing.T) {
	bad := `result = tpch_orders.head(2)`
	g := &lineScript{single: "result = nope", lines: []string{bad, bad}, alt: "nw_products.head(2)"}
	s := stepSolver(t, g)
	rec := s.Solve(context.Background(), "Two products.", devTables(t, "nw_categories", "nw_products"))
	c := rec.Candidates[len(rec.Candidates)-1]
	if c.Code != "result = nw_products.head(2)" || !c.OK || len(c.Steps) != 2 {
		t.Fatalf("code %q ok %v steps %+v", c.Code, c.OK, c.Steps)
	}
	if want := "# tpch_orders does not exist here; the frames are: nw_categories, nw_products\n"; !strings.Contains(c.Steps[0].Observation, want) {
		t.Errorf("note %q lacks %q", c.Steps[0].Observation, want)
	}
}
