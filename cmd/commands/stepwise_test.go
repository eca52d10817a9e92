package commands

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"polarsbench/harness/answer"
	"polarsbench/harness/repo"
)

// A step-wise candidate from SmolLM2 through the real engine and Polars
// workers: each of its steps was executed in turn, its code is the steps that
// ran, that code runs, and the step limit holds.
func TestStepwiseOnSmolLM(t *testing.T) {
	model := repo.Model(repo.SmolModelFile)
	if _, err := os.Stat(model); err != nil {
		t.Skipf("SmolLM2 missing (%v): run make models", err)
	}
	// The largest budget settings allow, far above the ~10 s this takes alone: under
	// a loaded CPU (other test binaries, a fine-tune) 120 s ran out before the step-wise source began.
	cfg := filepath.Join(t.TempDir(), "stepwise.json")
	if err := os.WriteFile(cfg, []byte(`{"stepwise": "always", "stepwise_steps": 3, "k": 2, "budget_s": 190}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, n := range []string{"nw_products", "nw_categories"} {
		args = append(args, "--table", n+"="+filepath.Join(repo.DataDir(), n+".parquet"))
	}
	out, err := execute(append([]string{"ask", "Count products per category name.", "--model", model, "--config", cfg,
		"--threads", "2", "--ctx", "2048", "--no-bank", "--json"}, args...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got struct {
		Record answer.Record `json:"record"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rec := got.Record
	v := rec.Variants[len(rec.Variants)-1]
	if v.Name != "stepwise" || len(v.Members) != 1 {
		t.Fatalf("variants %+v", rec.Variants)
	}
	c := rec.Candidates[v.Members[0]]
	if len(c.Steps) == 0 || len(c.Steps) > 6 {
		t.Fatalf("%d steps: %+v", len(c.Steps), c.Steps)
	}
	var ran []string
	for _, st := range c.Steps {
		if st.ExecuteMS <= 0 || st.Code == "" {
			t.Errorf("step not executed: %+v", st)
		}
		if st.OK {
			ran = append(ran, st.Code)
		} else if st.Error == "" || !strings.Contains(st.Observation, "# ^ failed: ") {
			t.Errorf("failed step without its error: %+v", st)
		}
	}
	if len(ran) > 3 {
		t.Errorf("%d steps ran; the limit is 3", len(ran))
	}
	if len(ran) == 0 {
		// No code, or the statement that failed for good (so that the
		// candidate fails as it did).
		if last := c.Steps[len(c.Steps)-1].Code; c.Code != "" && c.Code != last {
			t.Errorf("no step ran, yet code %q (last step %q)", c.Code, last)
		}
		return
	}
	// The code is the executed steps, bound to result when the last one is not.
	joined := strings.Join(ran, "\n")
	if c.Code != joined && !strings.HasPrefix(c.Code, joined+"\nresult = ") {
		t.Errorf("code %q is not the steps that ran %q", c.Code, joined)
	}
	if !c.OK && c.ErrorKind != "no_result" && c.ErrorKind != "not_dataframe" {
		t.Errorf("the steps' code does not run: %s %s", c.ErrorKind, c.Error)
	}
}
