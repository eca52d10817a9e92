package answer

import (
	"testing"

	"polarsbench/harness/judge"
)

func fp(h string) judge.Fingerprint {
	return judge.Fingerprint{Hash: h, Rows: 1, Cols: 1, Columns: []string{"a"}}
}

func TestElect(t *testing.T) {
	ok := func(h string, lp float64) Candidate { return Candidate{OK: true, Fingerprint: fp(h), MeanLogprob: lp} }
	bad := Candidate{OK: false, ErrorKind: "runtime"}
	cases := []struct {
		name   string
		cands  []Candidate
		chosen int
		groups int
	}{
		{"majority beats greedy", []Candidate{ok("x", -0.1), ok("y", -0.5), ok("y", -0.4), ok("z", -0.2)}, 2, 3},
		{"tie goes to greedy", []Candidate{ok("x", -0.9), ok("y", -0.1), bad, bad}, 0, 2},
		{"tie without greedy goes to likelier", []Candidate{bad, ok("y", -0.5), ok("z", -0.2)}, 2, 2},
		{"greedy preferred inside winning group", []Candidate{ok("x", -0.9), ok("x", -0.1)}, 0, 1},
		{"all failed", []Candidate{bad, bad}, -1, 0},
		{"same hash, different columns are different answers",
			[]Candidate{{OK: true, Fingerprint: judge.Fingerprint{Hash: "h", Rows: 1, Cols: 1, Columns: []string{"a"}}},
				{OK: true, Fingerprint: judge.Fingerprint{Hash: "h", Rows: 1, Cols: 1, Columns: []string{"b"}}, MeanLogprob: 1},
				{OK: true, Fingerprint: judge.Fingerprint{Hash: "h", Rows: 1, Cols: 1, Columns: []string{"b"}}}}, 1, 2},
	}
	for _, c := range cases {
		chosen, votes := Elect(c.cands)
		if chosen != c.chosen || len(votes) != c.groups {
			t.Errorf("%s: chosen %d with %d groups, want %d with %d", c.name, chosen, len(votes), c.chosen, c.groups)
		}
		for i, cd := range c.cands {
			if !cd.OK && cd.Group != -1 {
				t.Errorf("%s: failed candidate %d in group %d", c.name, i, cd.Group)
			}
		}
	}
}
