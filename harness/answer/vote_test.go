package answer

import (
	"os"
	"path/filepath"
	"strings"
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

// vfp is a result with runner hash h, names cols and names-insensitive values v.
func vfp(h, v string, cols ...string) judge.Fingerprint {
	return judge.Fingerprint{Hash: h, Rows: 3, Cols: len(cols), Columns: cols, Values: v}
}

func TestElectByGrouping(t *testing.T) {
	c := func(f judge.Fingerprint, lp float64) Candidate {
		return Candidate{OK: true, Fingerprint: f, MeanLogprob: lp}
	}
	bad := Candidate{OK: false, ErrorKind: "runtime"}
	// Candidates 1 and 2 hold the same values as 3 under other names / column order;
	// greedy candidate 0 is alone.
	cands := []Candidate{
		c(vfp("g", "V0", "k", "n"), -0.1),
		c(vfp("a", "V", "k", "total"), -0.6),
		c(vfp("b", "V", "total_qty", "k"), -0.3),
		c(vfp("c", "V", "k", "sum"), -0.5),
		bad,
	}
	cases := []struct {
		name   string
		mode   string
		cands  []Candidate
		chosen int
		groups int
	}{
		// Strict: four groups of one; the tie goes to greedy.
		{"strict splits aliases", VoteStrict, cands, 0, 4},
		{"unknown mode is strict", "", cands, 0, 4},
		// Values: 1, 2, 3 vote together and win; inside, the likeliest (2).
		{"values joins aliases", VoteValues, cands, 2, 2},
		// Inside the winning group greedy is kept when it is a member.
		{"values keeps greedy in group", VoteValues, []Candidate{
			c(vfp("g", "V", "k", "n"), -0.9), c(vfp("a", "V", "n", "k"), -0.1), c(vfp("z", "W", "k", "n"), -0.2)}, 0, 2},
		// Ties between values groups: greedy's group, then the likelier.
		{"values tie to greedy", VoteValues, []Candidate{
			c(vfp("g", "V", "k"), -0.9), c(vfp("a", "V", "x"), -0.8), c(vfp("b", "W", "k"), -0.1), c(vfp("c", "W", "y"), -0.1)}, 0, 2},
		{"values tie to likelier", VoteValues, []Candidate{
			bad, c(vfp("a", "V", "x"), -0.8), c(vfp("b", "W", "k"), -0.1), c(vfp("c", "V", "y"), -0.7), c(vfp("d", "W", "z"), -0.9)}, 2, 2},
		// Same values but another shape never groups; no values hash groups strictly.
		{"values needs the shape", VoteValues, []Candidate{
			c(judge.Fingerprint{Hash: "a", Rows: 3, Cols: 1, Columns: []string{"x"}, Values: "V"}, -0.5),
			c(judge.Fingerprint{Hash: "b", Rows: 4, Cols: 1, Columns: []string{"x"}, Values: "V"}, -0.1),
			c(judge.Fingerprint{Hash: "c", Rows: 4, Cols: 1, Columns: []string{"y"}, Values: "V"}, -0.3)}, 1, 2},
		{"no values hash falls back to strict", VoteValues, []Candidate{
			c(vfp("a", "", "x"), -0.5), c(vfp("a", "", "y"), -0.1), c(vfp("a", "", "y"), -0.2)}, 1, 2},
	}
	for _, tc := range cases {
		cs := append([]Candidate(nil), tc.cands...)
		chosen, votes := ElectBy(cs, tc.mode)
		if chosen != tc.chosen || len(votes) != tc.groups {
			t.Errorf("%s: chosen %d with %d groups, want %d with %d (%+v)", tc.name, chosen, len(votes), tc.chosen, tc.groups, votes)
			continue
		}
		for _, v := range votes {
			if (tc.mode == VoteValues) != (v.ValuesHash != "") && !strings.Contains(tc.name, "no values") {
				t.Errorf("%s: vote %+v: values hash only when grouping by values", tc.name, v)
			}
			for _, m := range v.Members {
				if cs[m].Group < 0 || votes[cs[m].Group].Members[0] != v.Members[0] {
					t.Errorf("%s: candidate %d not in its group", tc.name, m)
				}
			}
		}
	}
	// Elect is the strict grouping.
	a, va := Elect(append([]Candidate(nil), cands...))
	b, vb := ElectBy(append([]Candidate(nil), cands...), VoteStrict)
	if a != b || len(va) != len(vb) {
		t.Errorf("Elect %d/%d groups, ElectBy strict %d/%d", a, len(va), b, len(vb))
	}
}

func TestSettingsVote(t *testing.T) {
	if d := DefaultSettings(); d.Vote != VoteStrict || d.Validate() != nil {
		t.Fatalf("default vote %q: %v", d.Vote, d.Validate())
	}
	dir := t.TempDir()
	for _, c := range []struct {
		json string
		want string
		ok   bool
	}{{`{"vote":"values"}`, VoteValues, true}, {`{"k":2}`, VoteStrict, true}, {`{"vote":"value"}`, "", false}} {
		p := filepath.Join(dir, "s.json")
		os.WriteFile(p, []byte(c.json), 0o644)
		s, err := LoadSettings(p)
		if (err == nil) != c.ok || c.ok && s.Vote != c.want {
			t.Errorf("%s: vote %q err %v", c.json, s.Vote, err)
		}
	}
}
