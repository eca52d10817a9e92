// Package reports turns run records (runs/<id>/) into Markdown reports with
// PNG plots, compares two runs with an exact McNemar test, and charts the
// history of all runs.
package reports

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"

	"polarsbench/harness/score"
)

// DefaultAlpha is the significance level below which a change is called better.
const DefaultAlpha = 0.1

// Run is one run folder read back.
type Run struct {
	Dir     string
	Results score.Results
	Samples []score.Sample
}

// LoadRun reads results.json and samples.jsonl of dir.
func LoadRun(dir string) (Run, error) {
	res, err := score.LoadResults(dir)
	if err != nil {
		return Run{}, err
	}
	samples, err := score.LoadSamples(dir)
	if err != nil {
		return Run{}, err
	}
	if res.Classes == nil && len(samples) > 0 {
		// results.json older than the failure classes: classify from the samples
		// (their wrong answers without values fingerprints are "unclassified").
		again := res
		score.Summarize(&again, samples)
		res.Classes, res.ErrorKinds, res.ValuesN, res.ValuesAccuracy = again.Classes, again.ErrorKinds, again.ValuesN, again.ValuesAccuracy
	}
	return Run{Dir: dir, Results: res, Samples: samples}, nil
}

// McNemarExact is the exact two-sided McNemar test: a binomial test of the
// discordant pairs b and c against p = 0.5. It returns 1 when there are none.
func McNemarExact(b, c int) float64 {
	n := b + c
	if b < 0 || c < 0 || n == 0 {
		return 1
	}
	k := min(b, c)
	p := 2 * distuv.Binomial{N: float64(n), P: 0.5}.CDF(float64(k))
	return math.Min(1, p)
}

// Paired counts two runs' right/wrong outcomes on the same questions and
// tests the difference with McNemarExact: the one comparison behind
// `harness report --compare` and the fine-tuning promotion rule.
type Paired struct {
	N                    int // pairs counted
	RightA, RightB       int
	BothRight, BothWrong int
	// OnlyA (McNemar's b) and OnlyB (c) are the discordant pairs: right only in A, only in B.
	OnlyA, OnlyB int
}

// Add counts one question: a and b say whether run A and run B got it right.
func (p *Paired) Add(a, b bool) {
	p.N++
	if a {
		p.RightA++
	}
	if b {
		p.RightB++
	}
	switch {
	case a && b:
		p.BothRight++
	case !a && !b:
		p.BothWrong++
	case a:
		p.OnlyA++
	default:
		p.OnlyB++
	}
}

// P is the exact two-sided McNemar p of the discordant pairs.
func (p Paired) P() float64 { return McNemarExact(p.OnlyA, p.OnlyB) }

// Better reports whether B answers significantly more questions right than A at alpha.
func (p Paired) Better(alpha float64) bool { return p.OnlyB > p.OnlyA && p.P() < alpha }

// Worse reports whether B answers significantly fewer questions right than A at alpha.
func (p Paired) Worse(alpha float64) bool { return p.OnlyA > p.OnlyB && p.P() < alpha }

// Flip is a question whose outcome differs between two runs.
type Flip struct {
	ID       string `json:"id"`
	Category string `json:"category"`
	KindA    string `json:"kind_a"`
	KindB    string `json:"kind_b"`
	// ClassA and ClassB are the failure classes (score.Classify).
	ClassA string `json:"class_a,omitempty"`
	ClassB string `json:"class_b,omitempty"`
}

func (f Flip) kindA() string { return kindClass(f.KindA, f.ClassA) }
func (f Flip) kindB() string { return kindClass(f.KindB, f.ClassB) }

func kindClass(kind, class string) string {
	if class == "" || class == score.ClassRight {
		return kind
	}
	return kind + " (" + class + ")"
}

// Comparison of run B against run A on the questions both scored.
type Comparison struct {
	A, B      string // run ids
	Paired    int
	BothRight int
	BothWrong int
	// RightOnlyInA (McNemar's b) and RightOnlyInB (c) are the discordant pairs.
	RightOnlyInA int
	RightOnlyInB int
	P            float64
	// Accuracy over the paired questions; scores are each run's whole Final Score.
	AccuracyA, AccuracyB float64
	ScoreA, ScoreB       float64
	Fixed                []Flip // wrong in A, right in B
	Broken               []Flip // right in A, wrong in B
	Unpaired             int    // questions scored in only one of the runs

	// The same under the names-insensitive verdict (score.Sample.ValuesRight):
	// accuracy over the paired questions, discordant pairs and exact McNemar p.
	ValuesAccuracyA, ValuesAccuracyB       float64
	ValuesRightOnlyInA, ValuesRightOnlyInB int
	ValuesP                                float64
	// ClassesA and ClassesB count the paired questions by failure class.
	ClassesA, ClassesB map[string]int
}

// Compare pairs the two runs' samples by question id.
func Compare(a, b Run) Comparison {
	c := Comparison{A: a.Results.ID, B: b.Results.ID, ScoreA: a.Results.Score, ScoreB: b.Results.Score}
	inB := map[string]score.Sample{}
	for _, s := range b.Samples {
		inB[s.ID] = s
	}
	var strict, values Paired
	c.ClassesA, c.ClassesB = map[string]int{}, map[string]int{}
	for _, sa := range a.Samples {
		sb, ok := inB[sa.ID]
		if !ok {
			c.Unpaired++
			continue
		}
		delete(inB, sa.ID)
		ca, cb := classOnly(sa), classOnly(sb)
		c.ClassesA[ca]++
		c.ClassesB[cb]++
		values.Add(score.ValuesRight(sa), score.ValuesRight(sb))
		strict.Add(sa.Correct, sb.Correct)
		f := Flip{ID: sa.ID, Category: sa.Category, KindA: sa.Kind(), KindB: sb.Kind(), ClassA: ca, ClassB: cb}
		switch {
		case sa.Correct && !sb.Correct:
			c.Broken = append(c.Broken, f)
		case sb.Correct && !sa.Correct:
			c.Fixed = append(c.Fixed, f)
		}
	}
	c.Unpaired += len(inB)
	c.Paired, c.BothRight, c.BothWrong = strict.N, strict.BothRight, strict.BothWrong
	c.RightOnlyInA, c.RightOnlyInB = strict.OnlyA, strict.OnlyB
	c.ValuesRightOnlyInA, c.ValuesRightOnlyInB = values.OnlyA, values.OnlyB
	if c.Paired > 0 {
		c.AccuracyA = float64(strict.RightA) / float64(c.Paired)
		c.AccuracyB = float64(strict.RightB) / float64(c.Paired)
		c.ValuesAccuracyA = float64(values.RightA) / float64(c.Paired)
		c.ValuesAccuracyB = float64(values.RightB) / float64(c.Paired)
	}
	c.P = strict.P()
	c.ValuesP = values.P()
	return c
}

// classOnly is a sample's failure class, classified now for older records.
func classOnly(s score.Sample) string {
	if s.Class != "" {
		return s.Class
	}
	c, _ := score.Classify(s)
	return c
}

// Better reports whether B answers significantly more questions right than A.
func (c Comparison) Better(alpha float64) bool { return c.discordant().Better(alpha) }

// Worse reports whether B answers significantly fewer questions right than A.
func (c Comparison) Worse(alpha float64) bool { return c.discordant().Worse(alpha) }

func (c Comparison) discordant() Paired {
	return Paired{OnlyA: c.RightOnlyInA, OnlyB: c.RightOnlyInB}
}

// Verdict is one word for the comparison at alpha.
func (c Comparison) Verdict(alpha float64) string {
	switch {
	case c.Better(alpha):
		return "better"
	case c.Worse(alpha):
		return "worse"
	}
	return "no significant difference"
}

// History reads every run folder under dir that holds a results.json, oldest first.
func History(dir string) ([]Run, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var runs []Run
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		d := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(d, score.ResultsFile)); err != nil {
			continue
		}
		res, err := score.LoadResults(d)
		if err != nil {
			return nil, err
		}
		runs = append(runs, Run{Dir: d, Results: res})
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("history: no run folders with %s under %s", score.ResultsFile, dir)
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Results.Started.Before(runs[j].Results.Started) })
	return runs, nil
}
