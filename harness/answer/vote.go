package answer

import (
	"fmt"
	"sort"
	"strings"

	"polarsbench/harness/judge"
)

// Vote groupings (Settings.Vote).
const (
	// VoteStrict groups candidates by the runner's fingerprint: hash, shape and
	// the ordered column names.
	VoteStrict = "strict"
	// VoteValues groups candidates by the names-insensitive fingerprint
	// (judge.Fingerprint.Values) and shape: results that differ only in column
	// names or column order vote together. A candidate without it (a worker
	// that could not compute it) is grouped strictly.
	VoteValues = "values"
)

func fingerprintKey(f judge.Fingerprint) string {
	return fmt.Sprintf("%s|%d|%d|%s", f.Hash, f.Rows, f.Cols, strings.Join(f.Columns, "\x00"))
}

func groupKey(f judge.Fingerprint, mode string) (key, values string) {
	if mode == VoteValues && f.Values != "" {
		return fmt.Sprintf("values|%s|%d|%d", f.Values, f.Rows, f.Cols), f.Values
	}
	return "strict|" + fingerprintKey(f), ""
}

// Elect is ElectBy with the strict grouping.
func Elect(cands []Candidate) (int, []Vote) { return ElectBy(cands, VoteStrict) }

// ElectBy groups the successful candidates by result fingerprint (mode
// VoteStrict or VoteValues; anything else is strict) and returns the index of
// the answer: the largest group wins; ties go to the group holding the greedy
// candidate (index 0), then to the higher best mean log-probability. Within
// the winning group the greedy candidate, else the most likely one, is
// returned. With no successful candidate it returns -1. It sets each
// candidate's Group.
func ElectBy(cands []Candidate, mode string) (int, []Vote) {
	var votes []Vote
	byKey := map[string]int{}
	for i := range cands {
		cands[i].Group = -1
		if !cands[i].OK {
			continue
		}
		k, values := groupKey(cands[i].Fingerprint, mode)
		g, ok := byKey[k]
		if !ok {
			g = len(votes)
			byKey[k] = g
			votes = append(votes, Vote{FingerprintHash: cands[i].Fingerprint.Hash, ValuesHash: values, Rows: cands[i].Fingerprint.Rows, Cols: cands[i].Fingerprint.Cols})
		}
		votes[g].Count++
		votes[g].Members = append(votes[g].Members, i)
		cands[i].Group = g
	}
	if len(votes) == 0 {
		return -1, nil
	}
	best := func(v Vote) (hasGreedy bool, lp float64) {
		lp = -1e300
		for _, m := range v.Members {
			hasGreedy = hasGreedy || m == 0
			if cands[m].MeanLogprob > lp {
				lp = cands[m].MeanLogprob
			}
		}
		return
	}
	order := make([]int, len(votes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		va, vb := votes[order[a]], votes[order[b]]
		if va.Count != vb.Count {
			return va.Count > vb.Count
		}
		ga, la := best(va)
		gb, lb := best(vb)
		if ga != gb {
			return ga
		}
		return la > lb
	})
	win := votes[order[0]]
	chosen := win.Members[0]
	for _, m := range win.Members {
		if m == 0 {
			return 0, votes
		}
		if cands[m].MeanLogprob > cands[chosen].MeanLogprob {
			chosen = m
		}
	}
	return chosen, votes
}
