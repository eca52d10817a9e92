package finetune

import (
	"fmt"
	"os"
	"sort"

	"polarsbench/harness/runlog"
	"polarsbench/reports"
)

// PromoteAlpha is the significance level a candidate must beat: exact McNemar p < 0.1.
const PromoteAlpha = 0.1

// Decision is the promotion verdict for a candidate against the incumbent on
// the same questions under the same configuration.
type Decision struct {
	Promote bool `json:"promote"`
	N       int  `json:"n"`
	// IncumbentCorrect and CandidateCorrect count correct answers over the N paired questions.
	IncumbentCorrect int `json:"incumbent_correct"`
	CandidateCorrect int `json:"candidate_correct"`
	// CandidateOnly counts questions only the candidate got right; IncumbentOnly the reverse.
	CandidateOnly int     `json:"candidate_only"`
	IncumbentOnly int     `json:"incumbent_only"`
	P             float64 `json:"p"`
	Reason        string  `json:"reason"`
}

// ReadOutcomes reads a run's samples.jsonl ({"id", "correct", ...} per line)
// into id -> correct, skipping a torn last line (runlog.Read). A repeated id
// is an error: pairing would be ambiguous.
func ReadOutcomes(path string) (map[string]bool, error) {
	// The scorer's sample, with "correct" required: a line without it is not
	// an outcome (runlog.Sample's bool could not tell it from false).
	type outcome struct {
		runlog.Sample
		Correct *bool `json:"correct"`
	}
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	samples, _, err := runlog.Read[outcome](path)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for i, s := range samples {
		if s.ID == "" || s.Correct == nil {
			return nil, fmt.Errorf("%s: sample %d: a sample needs \"id\" and \"correct\"", path, i+1)
		}
		if _, dup := out[s.ID]; dup {
			return nil, fmt.Errorf("%s: sample %d: id %q appears twice", path, i+1, s.ID)
		}
		out[s.ID] = *s.Correct
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no samples", path)
	}
	return out, nil
}

// Decide applies the promotion rule to paired outcomes: promote only when the
// candidate answers more questions right than the incumbent and the exact
// McNemar test on the discordant pairs gives p < PromoteAlpha (reports.Paired,
// the same test as `harness report --compare`). Both runs must
// cover the same questions, or the comparison is not paired and Decide errs.
func Decide(incumbent, candidate map[string]bool) (Decision, error) {
	if len(incumbent) == 0 {
		return Decision{}, fmt.Errorf("the incumbent run has no samples")
	}
	var missing []string
	for id := range incumbent {
		if _, ok := candidate[id]; !ok {
			missing = append(missing, id)
		}
	}
	for id := range candidate {
		if _, ok := incumbent[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return Decision{}, fmt.Errorf("the runs cover different questions (%d unpaired, first %q): score both on the same bench", len(missing), missing[0])
	}
	var pair reports.Paired // A: the incumbent, B: the candidate
	for id, inc := range incumbent {
		pair.Add(inc, candidate[id])
	}
	d := Decision{N: pair.N, IncumbentCorrect: pair.RightA, CandidateCorrect: pair.RightB,
		IncumbentOnly: pair.OnlyA, CandidateOnly: pair.OnlyB, P: pair.P()}
	d.Promote = pair.Better(PromoteAlpha)
	switch {
	case d.Promote:
		d.Reason = fmt.Sprintf("promote the candidate: %d/%d vs %d/%d correct; %d gained, %d lost; exact McNemar p=%.4f < %.2g",
			d.CandidateCorrect, d.N, d.IncumbentCorrect, d.N, d.CandidateOnly, d.IncumbentOnly, d.P, PromoteAlpha)
	case d.CandidateOnly <= d.IncumbentOnly:
		d.Reason = fmt.Sprintf("keep the incumbent: the candidate is not better (%d/%d vs %d/%d correct; %d gained, %d lost)",
			d.CandidateCorrect, d.N, d.IncumbentCorrect, d.N, d.CandidateOnly, d.IncumbentOnly)
	default:
		d.Reason = fmt.Sprintf("keep the incumbent: the candidate's gain is not significant (%d/%d vs %d/%d; %d gained, %d lost; exact McNemar p=%.3f >= %.2g)",
			d.CandidateCorrect, d.N, d.IncumbentCorrect, d.N, d.CandidateOnly, d.IncumbentOnly, d.P, PromoteAlpha)
	}
	return d, nil
}
