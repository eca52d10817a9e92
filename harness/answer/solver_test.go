package answer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
	"polarsbench/harness/prompt"
	"polarsbench/harness/repo"
	"polarsbench/harness/schema"
	"polarsbench/harness/worker"
	"polarsbench/infer"
)

// These fakes stand in for the engine and the workers in a unit test of the
// pipeline's choice of answer; the real ones are exercised in harness/server.
type oneAnswer struct{ text string }

func (g oneAnswer) Generate(ctx context.Context, r infer.Request) (infer.Result, error) {
	res := infer.Result{}
	for i := 0; i < r.K; i++ {
		res.Candidates = append(res.Candidates, infer.Candidate{Text: g.text, Finish: "stop"})
	}
	return res, nil
}

type failingPool struct{ kind, err string }

func (p failingPool) Exec(ctx context.Context, j worker.Job) (worker.Outcome, error) {
	if p.err == "" {
		p.err = "failed"
	}
	return worker.Outcome{ErrorKind: p.kind, Error: p.err}, nil
}

func TestAnswerWhenEveryCandidateFails(t *testing.T) {
	tables := []core.TableRef{{Name: "orders", Path: "/nonexistent/orders.parquet", Format: "parquet"}}
	code := "result = orders.head(1)"
	for kind, want := range map[string]string{
		"runtime":   "result = orders", // fails in the runner too: valid placeholder instead
		"syntax":    "result = orders",
		"forbidden": code, // only our sandbox refuses it: the runner may run it
		"timeout":   code,
		"pool":      "result = orders", // never ran (budget out): unverified, so not returned
	} {
		s := &Solver{Engine: oneAnswer{code}, Pool: failingPool{kind: kind}, Schemas: schema.NewCache(), Settings: DefaultSettings()}
		s.Settings.Repair = false
		rec := s.Solve(context.Background(), "First order.", tables)
		if rec.Answer != want || rec.Chosen != -1 || rec.Error == "" {
			t.Errorf("%s: answer %q chosen %d error %q; want %q, -1 and a logged reason", kind, rec.Answer, rec.Chosen, rec.Error, want)
		}
	}
}

// recorder is a fake engine that answers every request with the same code and
// remembers what it was asked.
type recorder struct {
	text     string
	distinct bool // candidate i of a request appends ".head(i)": every result differs
	reqs     []infer.Request
}

func (g *recorder) Generate(ctx context.Context, r infer.Request) (infer.Result, error) {
	g.reqs = append(g.reqs, r)
	res, err := oneAnswer{g.text}.Generate(ctx, r)
	for i := range res.Candidates {
		if g.distinct {
			res.Candidates[i].Text += fmt.Sprintf(".head(%d)", len(g.reqs)*100+i)
		}
	}
	return res, err
}

func devTables(t *testing.T, names ...string) []core.TableRef {
	t.Helper()
	var out []core.TableRef
	for _, n := range names {
		p := filepath.Join(repo.DataDir(), n+".parquet")
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("built tables missing (%v): run make data", err)
		}
		out = append(out, core.TableRef{Name: n, Path: p, Format: "parquet"})
	}
	return out
}

// Over several tables the K candidates come from two prompts: half start from
// the join plan's chain, so one systematic mistake cannot take all of them.
func TestCandidatesFromTwoVariants(t *testing.T) {
	g := &recorder{text: "result = nw_products", distinct: true}
	s := &Solver{Engine: g, Pool: okPool{}, Schemas: schema.NewCache(), Settings: DefaultSettings()}
	// Off (the default): one prompt, no plan in it.
	rec := s.Solve(context.Background(), "Category name of each product.", devTables(t, "nw_categories", "nw_products"))
	if len(g.reqs) != 1 || strings.Contains(g.reqs[0].Messages[1].Content, "Join keys") {
		t.Fatalf("join plan off: %d requests", len(g.reqs))
	}
	g.reqs = nil
	s.Settings.JoinPlan = true
	rec = s.Solve(context.Background(), "Category name of each product.", devTables(t, "nw_categories", "nw_products"))
	if len(g.reqs) != 2 || len(rec.Variants) != 2 {
		t.Fatalf("%d requests, %d variants; want 2", len(g.reqs), len(rec.Variants))
	}
	lead := `df = nw_products.join(nw_categories, on="category_id")` + "\n"
	if g.reqs[0].K+g.reqs[1].K != s.Settings.K || g.reqs[1].Prefill != "```python\n"+lead {
		t.Fatalf("requests %+v", g.reqs)
	}
	for _, i := range rec.Variants[1].Members {
		if !strings.HasPrefix(rec.Candidates[i].Code, lead) {
			t.Errorf("join-chain candidate lacks its lead: %q", rec.Candidates[i].Code)
		}
	}
	// When the first prompt's candidates agree, the rest could not outvote
	// them: they are not generated.
	g.reqs, g.distinct = nil, false
	rec = s.Solve(context.Background(), "Category name of each product.", devTables(t, "nw_categories", "nw_products"))
	if len(g.reqs) != 1 || rec.Skipped != s.Settings.K/2 || rec.Chosen != 0 {
		t.Fatalf("agreeing candidates: %d requests, %d skipped, chosen %d", len(g.reqs), rec.Skipped, rec.Chosen)
	}
	// One table: one prompt.
	g.reqs, s.Settings.GreedyFirst = nil, ""
	s.Solve(context.Background(), "Count products.", devTables(t, "nw_products"))
	if len(g.reqs) != 1 || g.reqs[0].K != s.Settings.candidates(1) {
		t.Fatalf("single table: %+v", g.reqs)
	}
}

// With GreedyFirst the greedy candidate comes alone; the sampled ones, numbered
// on from it, are asked for only when it fails. In the default mode, single,
// only questions over one table do so.
func TestGreedyFirst(t *testing.T) {
	g := &recorder{text: "result = nw_products"}
	s := &Solver{Engine: g, Pool: okPool{}, Schemas: schema.NewCache(), Settings: DefaultSettings()}
	s.Solve(context.Background(), "Category name of each product.", devTables(t, "nw_categories", "nw_products"))
	if len(g.reqs) != 1 || g.reqs[0].K != s.Settings.K {
		t.Fatalf("single, two tables: requests %+v; want one of K %d", g.reqs, s.Settings.K)
	}
	g.reqs = nil
	rec := s.Solve(context.Background(), "Count products.", devTables(t, "nw_products"))
	if want := s.Settings.candidates(1) - 1; len(g.reqs) != 1 || g.reqs[0].K != 1 || g.reqs[0].First != 0 || rec.Skipped != want || rec.Chosen != 0 {
		t.Fatalf("greedy ran: requests %+v, skipped %d, chosen %d; want one request of K 1 and %d skipped", g.reqs, rec.Skipped, rec.Chosen, want)
	}
	g.reqs = nil
	s.Pool, s.Settings.GreedyFirst = failingPool{kind: "runtime"}, GreedyAlways
	rec = s.Solve(context.Background(), "Category name of each product.", devTables(t, "nw_categories", "nw_products"))
	if len(g.reqs) != 2 || g.reqs[1].K != s.Settings.K-1 || g.reqs[1].First != 1 || len(rec.Candidates) != s.Settings.K || rec.Skipped != 0 {
		t.Fatalf("greedy failed: requests %+v, %d candidates, skipped %d; want the other %d from candidate 1", g.reqs, len(rec.Candidates), rec.Skipped, s.Settings.K-1)
	}
}

// Repair runs up to two rounds, each executed before the next, and tells the
// model which table holds the column it missed.
func TestRepairRoundsWithSchemaHint(t *testing.T) {
	g := &recorder{text: `result = nw_products.select("category_name")`}
	pool := failingPool{kind: "runtime", err: `ColumnNotFoundError: unable to find column "category_name"; valid columns: ["product_id"]`}
	s := &Solver{Engine: g, Pool: pool, Schemas: schema.NewCache(), Settings: DefaultSettings()}
	s.Settings.JoinPlan, s.Settings.Repair, s.Settings.RepairRounds = true, true, 2
	rec := s.Solve(context.Background(), "Category name of each product.", devTables(t, "nw_categories", "nw_products"))
	repairs := 0
	for _, r := range g.reqs {
		last := r.Messages[len(r.Messages)-1].Content
		if strings.HasPrefix(last, "Running that code failed") {
			repairs++
			if !strings.Contains(last, `Column "category_name" is in nw_categories`) {
				t.Errorf("repair without the schema hint: %q", last)
			}
		}
	}
	if repairs != 2 || rec.Chosen != -1 {
		t.Fatalf("%d repair rounds (want 2), chosen %d", repairs, rec.Chosen)
	}
}

// Leave-one-out by id reaches the bank.
func TestSolveExcludesByID(t *testing.T) {
	bank := prompt.NewBank([]prompt.Example{
		{ID: "A", Question: "Count products per category.", Code: "result = 1", Tables: []string{"nw_products"}},
		{ID: "B", Question: "Count products per supplier.", Code: "result = 2", Tables: []string{"nw_products"}},
	})
	s := &Solver{Engine: oneAnswer{"result = nw_products"}, Pool: okPool{}, Schemas: schema.NewCache(), Bank: bank, Settings: DefaultSettings()}
	rec := s.Solve(context.Background(), "How many products in each category?", devTables(t, "nw_products"), "A")
	if strings.Join(rec.Examples, ",") != "B" {
		t.Fatalf("examples %v, want only B", rec.Examples)
	}
}

// okPool runs everything; the result's fingerprint is the code's.
type okPool struct{}

func (okPool) Exec(ctx context.Context, j worker.Job) (worker.Outcome, error) {
	return worker.Outcome{OK: true, Fingerprint: judge.Fingerprint{Hash: j.Code, Values: j.Code}}, nil
}

// KSingle caps the candidates of a question over one table (and the cap is at
// most K); questions over several tables keep all K.
func TestKSingle(t *testing.T) {
	g := &recorder{text: "result = nw_products"}
	set := DefaultSettings()
	set.K, set.KSingle, set.GreedyFirst = 4, 3, GreedySingle
	s := &Solver{Engine: g, Pool: failingPool{kind: "runtime"}, Schemas: schema.NewCache(), Settings: set}
	rec := s.Solve(context.Background(), "Count products.", devTables(t, "nw_products"))
	if len(g.reqs) != 2 || g.reqs[0].K != 1 || g.reqs[1].K != 2 || g.reqs[1].First != 1 || len(rec.Candidates) != 3 {
		t.Fatalf("one table: requests %+v, %d candidates; want K 1 then K 2 from candidate 1", g.reqs, len(rec.Candidates))
	}
	g.reqs = nil
	s.Solve(context.Background(), "Category name of each product.", devTables(t, "nw_categories", "nw_products"))
	if len(g.reqs) != 1 || g.reqs[0].K != 4 {
		t.Fatalf("two tables: requests %+v; want one of K 4", g.reqs)
	}
	g.reqs = nil
	s.Settings.K = 2
	s.Solve(context.Background(), "Count products.", devTables(t, "nw_products"))
	if len(g.reqs) != 2 || g.reqs[1].K != 1 {
		t.Fatalf("k_single above k: requests %+v; want K 1 then K 1", g.reqs)
	}
	s.Settings.KSingle = -1
	if err := s.Settings.Validate(); err == nil {
		t.Fatal("k_single -1 validated")
	}
}

// texts is a fake engine whose candidate i writes texts[First+i], with mean
// log-probability logprobs[First+i].
type texts struct {
	code     []string
	logprobs []float64
}

func (g texts) Generate(ctx context.Context, r infer.Request) (infer.Result, error) {
	res := infer.Result{}
	for i := r.First; i < r.First+r.K; i++ {
		res.Candidates = append(res.Candidates, infer.Candidate{Text: g.code[i], MeanLogprob: g.logprobs[i], Finish: "stop"})
	}
	return res, nil
}

// unjoinedPool fails code that selects category_name from nw_products without
// a join, as Polars does, and runs everything else.
type unjoinedPool struct{}

func (unjoinedPool) Exec(ctx context.Context, j worker.Job) (worker.Outcome, error) {
	if strings.Contains(j.Code, `"category_name"`) && !strings.Contains(j.Code, ".join(") {
		return worker.Outcome{ErrorKind: "runtime", Error: `ColumnNotFoundError: unable to find column "category_name"; valid columns: ["product_id", "product_name", "supplier_id", "category_id", "unit_price", "units_in_stock", "units_on_order", "reorder_level", "discontinued"]`}, nil
	}
	return okPool{}.Exec(ctx, j)
}

// Schema fixes run even when one candidate ran: three of four candidates make
// the same fixable slip, and their fix, which speaks with its candidate's
// log-probability, outvotes the odd one out on the tie.
func TestSchemaFixWhenOneRan(t *testing.T) {
	slip := `result = nw_products.select("product_name", "category_name")`
	g := texts{code: []string{slip, slip, slip, "result = nw_products"}, logprobs: []float64{-0.1, -0.2, -0.2, -0.5}}
	s := &Solver{Engine: g, Pool: unjoinedPool{}, Schemas: schema.NewCache(), Settings: DefaultSettings()}
	rec := s.Solve(context.Background(), "Category name of each product.", devTables(t, "nw_categories", "nw_products"))
	if len(rec.Candidates) != 5 || !rec.Candidates[4].OK || rec.Candidates[4].Fix == "" {
		t.Fatalf("candidates %+v; want the 4 drawn and one fix that ran", rec.Candidates)
	}
	if rec.Chosen != 4 || !strings.Contains(rec.Answer, `.join(nw_categories`) || rec.Candidates[4].MeanLogprob != -0.1 {
		t.Fatalf("chosen %d, answer %q, fix log-probability %v; want the fix with its candidate's -0.1", rec.Chosen, rec.Answer, rec.Candidates[4].MeanLogprob)
	}
	// With the fixes off, the one that ran answers.
	s.Settings.SchemaFix = false
	if rec = s.Solve(context.Background(), "Category name of each product.", devTables(t, "nw_categories", "nw_products")); rec.Answer != "result = nw_products" {
		t.Fatalf("fixes off: answer %q", rec.Answer)
	}
}
