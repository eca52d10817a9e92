package datasets

import (
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
)

// draft is one generated question and its gold code, before execution.
type draft struct {
	category string
	question string
	code     string
	tables   []string
}

// gen holds the random source and the table knowledge every operation draws from.
type gen struct {
	r  *rand.Rand
	ps *profileSet
}

func (g *gen) one(xs ...string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) chance(p float64) bool   { return g.r.Float64() < p }

func pickOne[T any](g *gen, xs []T) (T, bool) {
	var zero T
	if len(xs) == 0 {
		return zero, false
	}
	return xs[g.r.IntN(len(xs))], true
}

// round2 is the rounding gold code puts on a float column's result: two decimals.
func round2(c *colProfile) string {
	if c.isFloat() {
		return ".round(2)"
	}
	return ""
}

// sumOf is a measure's total in gold code: its alias total_<name> and its rounding.
func sumOf(m *colProfile) (alias, round string) { return "total_" + base(m.Name), round2(m) }

// tableColumn picks a random table of at least minRows rows (randomTable) and
// one of its columns that want accepts; ok is false when none does.
func (g *gen) tableColumn(minRows int, want func(c *colProfile) bool) (t *tableProfile, c *colProfile, ok bool) {
	t = g.randomTable(minRows)
	c, ok = pickOne(g, t.pick(want))
	return t, c, ok
}

// fill replaces {key} placeholders; pairs are key, value.
func fill(tmpl string, kv ...string) string {
	pairs := make([]string, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, "{"+kv[i]+"}", kv[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(tmpl)
}

// mention says a column the way questions do: mostly verbatim, sometimes in words.
func (g *gen) mention(c *colProfile) string {
	if g.chance(0.25) && strings.Contains(c.Name, "_") && !tpchPrefix.MatchString(c.Name) {
		return strings.ReplaceAll(c.Name, "_", " ")
	}
	return c.Name
}

var tpchPrefix = regexp.MustCompile(`^[a-z]{1,2}_`)

// base strips a TPC-H style prefix for aliases: l_quantity -> quantity.
func base(name string) string {
	if tpchPrefix.MatchString(name) && len(tpchPrefix.FindString(name)) <= 3 && strings.Count(name, "_") >= 1 {
		if b := tpchPrefix.ReplaceAllString(name, ""); b != "" {
			return b
		}
	}
	return name
}

func q(s string) string { return strconv.Quote(s) }

func quoteAll(cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = q(c)
	}
	return strings.Join(out, ", ")
}

// nice rounds a threshold the way a person would write it.
func nice(c *colProfile, v float64) string {
	if c.isInt() {
		return strconv.FormatInt(int64(math.Round(v)), 10)
	}
	a := math.Abs(v)
	switch {
	case a >= 100:
		v = math.Round(v)
	case a >= 10:
		v = math.Round(v*2) / 2
	case a >= 1:
		v = math.Round(v*10) / 10
	default:
		v = math.Round(v*100) / 100
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// threshold picks a value inside the column's spread (10th to 90th percentile).
func (g *gen) threshold(c *colProfile) string { return nice(c, c.Q[1+g.r.IntN(3)]) }

// join lists words: "a, b and c".
func join(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// aliasNote states the alias in one of the ways questions do, or not at all.
func (g *gen) aliasNote(alias string, p float64) string {
	if !g.chance(p) {
		return ""
	}
	return " " + g.one(
		"Name the column "+alias+".",
		"Call it "+alias+".",
		"Return it as "+alias+".",
		"(alias: "+alias+")",
		"Use "+alias+" as the column name.",
	)
}

// rounding picks the decimals for a float aggregate and the words that state it.
// Unstated rounding is 2 decimals, the bench's most common convention.
func (g *gen) rounding() (int, string) {
	switch g.r.IntN(6) {
	case 0:
		return 1, " Round to 1 decimal."
	case 1:
		return 2, " Round to 2 decimals."
	case 2:
		return 2, ", rounded to 2 decimal places."
	}
	return 2, ""
}

// withTail appends a trailing note to a question that ends in "." or "?".
func withTail(question, tail string) string {
	if tail == "" {
		return question
	}
	if strings.HasPrefix(tail, ",") {
		return strings.TrimRight(question, ".?") + tail
	}
	return question + tail
}

// randomTable chooses a table with at least minRows rows.
func (g *gen) randomTable(minRows int) *tableProfile {
	best := g.ps.Tables[0]
	for range 20 {
		t := g.ps.Tables[g.r.IntN(len(g.ps.Tables))]
		if t.Rows >= minRows {
			return t
		}
		if t.Rows > best.Rows {
			best = t
		}
	}
	return best
}

// linksOf returns the many-to-one links whose sides are both usable.
func (g *gen) linksOf(selfOK bool) []link {
	var out []link
	for _, l := range g.ps.Links {
		if l.Overlap < 0.9 || (!selfOK && l.Left == l.Right) {
			continue
		}
		if g.ps.byName[l.Left] == nil || g.ps.byName[l.Right] == nil {
			continue
		}
		out = append(out, l)
	}
	return out
}

// joinCode writes left.join(right, ...) with on= for equal names, left_on/right_on otherwise.
func joinCode(l link, how string) string {
	var args string
	if l.LeftOn == l.RightOn {
		args = "on=" + q(l.LeftOn)
	} else {
		args = "left_on=" + q(l.LeftOn) + ", right_on=" + q(l.RightOn)
	}
	if how != "" && how != "inner" {
		args += ", how=" + q(how)
	}
	return ".join(" + l.Right + ", " + args + ")"
}

// joinedColumns lists the columns after an inner or left join and says where
// each came from, applying Polars' "_right" suffix to clashing names.
func joinedColumns(left, right *tableProfile, l link) (names []string, from map[string]*colProfile) {
	from = map[string]*colProfile{}
	have := map[string]bool{}
	for i := range left.Columns {
		c := &left.Columns[i]
		names = append(names, c.Name)
		from[c.Name] = c
		have[c.Name] = true
	}
	for i := range right.Columns {
		c := &right.Columns[i]
		if c.Name == l.RightOn {
			continue // the right key is coalesced into the left one
		}
		n := c.Name
		if have[n] {
			n += "_right"
		}
		names = append(names, n)
		from[n] = c
		have[n] = true
	}
	return names, from
}
