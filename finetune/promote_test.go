package finetune

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeRun writes a samples.jsonl with the given outcomes, as `harness score` does.
func writeRun(t *testing.T, outcomes []bool) string {
	t.Helper()
	var b strings.Builder
	for i, ok := range outcomes {
		fmt.Fprintf(&b, `{"id":"q%03d","correct":%t,"code":"result = x"}`+"\n", i, ok)
	}
	p := filepath.Join(t.TempDir(), "samples.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// pairs builds paired runs: both right, only incumbent, only candidate, both wrong.
func pairs(both, incOnly, candOnly, neither int) (inc, cand []bool) {
	add := func(n int, i, c bool) {
		for ; n > 0; n-- {
			inc, cand = append(inc, i), append(cand, c)
		}
	}
	add(both, true, true)
	add(incOnly, true, false)
	add(candOnly, false, true)
	add(neither, false, false)
	return
}

func decideRuns(t *testing.T, both, incOnly, candOnly, neither int) Decision {
	t.Helper()
	inc, cand := pairs(both, incOnly, candOnly, neither)
	a, err := ReadOutcomes(writeRun(t, inc))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadOutcomes(writeRun(t, cand))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decide(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDecideBetterAndSignificant(t *testing.T) {
	// 10 gained, 1 lost: p = 2*P(X<=1 | n=11) = 24/2048.
	d := decideRuns(t, 30, 1, 10, 34)
	if !d.Promote {
		t.Fatalf("want promotion, got %+v", d)
	}
	if want := 24.0 / 2048; math.Abs(d.P-want) > 1e-12 {
		t.Fatalf("p = %v, want %v", d.P, want)
	}
	if d.N != 75 || d.CandidateCorrect != 40 || d.IncumbentCorrect != 31 || !strings.HasPrefix(d.Reason, "promote") {
		t.Fatalf("counts or reason wrong: %+v", d)
	}
}

func TestDecideWorse(t *testing.T) {
	d := decideRuns(t, 30, 8, 2, 35)
	if d.Promote || !strings.Contains(d.Reason, "not better") {
		t.Fatalf("a worse candidate must be kept out: %+v", d)
	}
}

func TestDecideBetterButNotSignificant(t *testing.T) {
	// 5 gained, 2 lost: p = 2*(1+7+21)/128 = 0.453.
	d := decideRuns(t, 30, 2, 5, 38)
	if d.Promote || !strings.Contains(d.Reason, "not significant") {
		t.Fatalf("an insignificant gain must not promote: %+v", d)
	}
	if math.Abs(d.P-58.0/128) > 1e-12 {
		t.Fatalf("p = %v, want %v", d.P, 58.0/128)
	}
}

func TestDecideTieIsKept(t *testing.T) {
	d := decideRuns(t, 40, 0, 0, 35)
	if d.Promote || d.P != 1 {
		t.Fatalf("identical runs: %+v", d)
	}
}

func TestDecideUnpairedRunsErr(t *testing.T) {
	a := map[string]bool{"q1": true, "q2": false}
	b := map[string]bool{"q1": true, "q3": true}
	if _, err := Decide(a, b); err == nil || !strings.Contains(err.Error(), "different questions") {
		t.Fatalf("want an unpaired error, got %v", err)
	}
}

func TestReadOutcomesBadInput(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"dup":     `{"id":"a","correct":true}` + "\n" + `{"id":"a","correct":false}` + "\n",
		"nofield": `{"id":"a"}` + "\n",
		"notjson": "hello\n",
		"empty":   "",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := ReadOutcomes(p); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}
