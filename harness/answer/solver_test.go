package answer

import (
	"context"
	"testing"

	"polarsbench/datasets"
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

type failingPool struct{ kind string }

func (p failingPool) Exec(ctx context.Context, j worker.Job) (worker.Outcome, error) {
	return worker.Outcome{ErrorKind: p.kind, Error: "failed"}, nil
}

func TestAnswerWhenEveryCandidateFails(t *testing.T) {
	tables := []datasets.TableRef{{Name: "orders", Path: "/nonexistent/orders.parquet", Format: "parquet"}}
	code := "result = orders.head(1)"
	for kind, want := range map[string]string{
		"runtime":   "result = orders", // fails in the runner too: valid placeholder instead
		"syntax":    "result = orders",
		"forbidden": code, // only our sandbox refuses it: the runner may run it
		"timeout":   code,
		"pool":      "result = orders", // never ran (budget out): unverified, so not returned
	} {
		s := &Solver{Engine: oneAnswer{code}, Pool: failingPool{kind}, Schemas: schema.NewCache(), Settings: DefaultSettings()}
		s.Settings.Repair = false
		rec := s.Solve(context.Background(), "First order.", tables)
		if rec.Answer != want || rec.Chosen != -1 || rec.Error == "" {
			t.Errorf("%s: answer %q chosen %d error %q; want %q, -1 and a logged reason", kind, rec.Answer, rec.Chosen, rec.Error, want)
		}
	}
}
