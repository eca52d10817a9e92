package prompt

import (
	"math"
	"sort"
	"strings"
	"unicode"

	"polarsbench/datasets/core"
)

// Example is one solved question the prompt may show.
type Example struct {
	ID, Question, Code string
	// Tables are the variable names the code uses.
	Tables []string
	// Files are those tables' files where the bank knows them (BankFromTasks):
	// the style reads facts of their columns (answer.LearnStyle).
	Files []core.TableRef
}

// Bank ranks solved examples against a question: BM25 over question words,
// plus a bonus for the same tables and for tables of the same dataset (prefix).
// It is read-only after NewBank, so Retrieve is safe from many goroutines.
type Bank struct {
	examples []Example
	norm     []string   // normalised question per example, for leave-one-out
	words    [][]string // its sorted distinct words
	postings map[string][]posting
	docLen   []float64
	avgLen   float64
	tables   [][]string // sorted distinct table names per example
	prefixes [][]string // sorted distinct dataset prefixes per example
}

type posting struct {
	doc int
	tf  float64
}

// Retrieval weights. BM25 scores of these short questions run about 0-25.
// The table bonuses only break near-ties: on the dev set (leave-one-out) a
// larger table weight pulled in same-table examples of the wrong operation
// (category hit@1 34 -> 23 at weight 3), while a small one keeps the wording
// in charge and still prefers examples that show the same tables' columns.
const (
	bm25K1       = 1.2
	bm25B        = 0.75
	tableWeight  = 1.0
	prefixWeight = 0.25
	// DefaultK is how many examples a prompt shows when the caller has no reason to differ.
	DefaultK = 3
)

// NewBank indexes the examples. Their order breaks ties, so it should be stable.
func NewBank(examples []Example) *Bank {
	b := &Bank{
		examples: append([]Example(nil), examples...),
		postings: map[string][]posting{},
	}
	total := 0.0
	for i, ex := range b.examples {
		b.norm = append(b.norm, Normalize(ex.Question))
		b.words = append(b.words, wordSet(b.norm[i]))
		words := terms(ex.Question)
		tf := map[string]float64{}
		for _, w := range words {
			tf[w]++
		}
		// Sorted so the index is built in the same order every run.
		keys := make([]string, 0, len(tf))
		for w := range tf {
			keys = append(keys, w)
		}
		sort.Strings(keys)
		for _, w := range keys {
			b.postings[w] = append(b.postings[w], posting{i, tf[w]})
		}
		b.docLen = append(b.docLen, float64(len(words)))
		total += float64(len(words))
		b.tables = append(b.tables, distinct(ex.Tables, func(s string) string { return s }))
		b.prefixes = append(b.prefixes, distinct(ex.Tables, prefix))
	}
	if len(b.examples) > 0 {
		b.avgLen = total / float64(len(b.examples))
	}
	return b
}

// BankFromTasks makes a bank whose examples are the tasks' gold answers;
// tasks without gold code are skipped.
func BankFromTasks(tasks []core.Task) *Bank {
	var exs []Example
	for _, t := range tasks {
		if strings.TrimSpace(t.GoldCode) == "" {
			continue
		}
		ex := Example{ID: t.ID, Question: t.Question, Code: t.GoldCode}
		for _, tr := range t.Tables {
			ex.Tables = append(ex.Tables, tr.Name)
		}
		ex.Files = append(ex.Files, t.Tables...)
		exs = append(exs, ex)
	}
	return NewBank(exs)
}

// Len reports how many examples the bank holds.
func (b *Bank) Len() int { return len(b.examples) }

// Retrieve returns up to k examples, best first, for a question over the given
// tables (variable names). Leave-one-out: an example whose id is in exclude is
// never returned, nor one whose question is near-identical to the asked one
// (NearDuplicate): the server sees only the text, so that is what keeps a
// scored question's own answer out of its prompt when no id comes with it, and
// a question with a few words appended still finds its own. Ties keep bank order.
func (b *Bank) Retrieve(question string, tables []string, k int, exclude ...string) []Example {
	if k <= 0 || len(b.examples) == 0 {
		return nil
	}
	n := float64(len(b.examples))
	scores := make([]float64, len(b.examples))
	seen := map[string]bool{}
	for _, w := range terms(question) {
		if seen[w] {
			continue // BM25 on the query side counts each term once
		}
		seen[w] = true
		ps := b.postings[w]
		if len(ps) == 0 {
			continue
		}
		idf := math.Log(1 + (n-float64(len(ps))+0.5)/(float64(len(ps))+0.5))
		for _, p := range ps {
			norm := bm25K1 * (1 - bm25B + bm25B*b.docLen[p.doc]/b.avgLen)
			scores[p.doc] += idf * p.tf * (bm25K1 + 1) / (p.tf + norm)
		}
	}
	qTables := distinct(tables, func(s string) string { return s })
	qPrefixes := distinct(tables, prefix)
	for i := range scores {
		scores[i] += tableWeight*jaccard(qTables, b.tables[i]) + prefixWeight*jaccard(qPrefixes, b.prefixes[i])
	}
	left := b.leftOut(question, exclude)
	order := make([]int, len(b.examples))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return scores[order[x]] > scores[order[y]] })
	// Leave-one-out is checked best first, so only the few examples returned pay for it.
	kept := order[:0]
	for _, i := range order {
		if len(kept) == k {
			break
		}
		if !left(i) {
			kept = append(kept, i)
		}
	}
	order = kept
	out := make([]Example, len(order))
	for i, j := range order {
		out[i] = b.examples[j]
	}
	return out
}

// Others returns every example that Retrieve could return for the question:
// all but those left out by id or as a near-duplicate of it, in bank order.
func (b *Bank) Others(question string, exclude ...string) []Example {
	left := b.leftOut(question, exclude)
	var out []Example
	for i, ex := range b.examples {
		if !left(i) {
			out = append(out, ex)
		}
	}
	return out
}

// leftOut is leave-one-out for a question: whether example i is its own
// (an id in exclude) or a near-duplicate of it.
func (b *Bank) leftOut(question string, exclude []string) func(i int) bool {
	asked := Normalize(question)
	askedWords := wordSet(asked)
	excluded := map[string]bool{}
	for _, id := range exclude {
		excluded[id] = true
	}
	return func(i int) bool {
		return excluded[b.examples[i].ID] || nearDuplicate(b.norm[i], b.words[i], asked, askedWords)
	}
}

// Normalize is the form in which two questions count as the same: lower case,
// letters and digits only, single spaces.
func Normalize(q string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

// nearDuplicateJaccard: two questions whose word sets overlap this much are
// one question reworded or extended ("... Join keys: a = b" appended).
const (
	nearDuplicateJaccard = 0.8
	minContainedWords    = 5
)

// NearDuplicate reports whether two normalised questions are the same question:
// equal, one containing the other, or sharing nearly all their words.
func NearDuplicate(a, b string) bool {
	return nearDuplicate(a, wordSet(a), b, wordSet(b))
}

func nearDuplicate(a string, wa []string, b string, wb []string) bool {
	if a == b {
		return true
	}
	if a == "" || b == "" {
		return false
	}
	// Containment counts only for a question long enough to be specific.
	if len(wb) >= minContainedWords && strings.Contains(a, b) || len(wa) >= minContainedWords && strings.Contains(b, a) {
		return true
	}
	return jaccard(wa, wb) >= nearDuplicateJaccard
}

func wordSet(norm string) []string {
	return distinct(strings.Fields(norm), func(s string) string { return s })
}

// stopwords carry no signal in these questions. "per", "each", "top" and
// "never" stay: they tell group_by, window, head and anti-join apart.
var stopwords = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "and": true, "or": true, "to": true,
	"in": true, "is": true, "are": true, "by": true, "with": true, "for": true, "on": true,
	"from": true, "that": true, "their": true, "its": true, "it": true, "as": true, "be": true,
	"then": true, "this": true, "which": true, "what": true, "all": true, "find": true,
	"show": true, "list": true, "get": true, "return": true,
}

// terms splits a question into index words: lower case, snake_case names kept
// whole and also split into parts, a light plural strip.
func terms(q string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
	}) {
		w = strings.Trim(w, "_")
		if w == "" {
			continue
		}
		if strings.Contains(w, "_") {
			out = append(out, w)
			for _, part := range strings.Split(w, "_") {
				if part != "" && !stopwords[part] {
					out = append(out, stem(part))
				}
			}
			continue
		}
		if !stopwords[w] {
			out = append(out, stem(w))
		}
	}
	return out
}

func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 5 && strings.HasSuffix(w, "ing"):
		return w[:len(w)-3]
	case len(w) > 5 && strings.HasSuffix(w, "ed"):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}

// prefix is a table's dataset: "nw" for nw_orders; the whole name when it has no underscore.
func prefix(table string) string {
	p, _, _ := strings.Cut(table, "_")
	return p
}

func distinct(xs []string, f func(string) string) []string {
	m := map[string]bool{}
	var out []string
	for _, x := range xs {
		if v := f(x); !m[v] {
			m[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func jaccard(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			inter++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}
