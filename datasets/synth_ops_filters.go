package datasets

import (
	"fmt"
	"strings"
)

// Operations of the synthesis category "filters" (see ops in synth_ops.go).

var cmpWords = []struct{ op, words string }{
	{">", "above"}, {">", "greater than"}, {">", "over"}, {">", "more than"},
	{"<", "below"}, {"<", "less than"}, {"<", "under"},
	{">=", "at least"}, {"<=", "at most"},
}

func opFilterNum(g *gen) *draft {
	t, c, ok := g.tableColumn(10, func(c *colProfile) bool { return c.isMeasure() })
	if !ok {
		return nil
	}
	cw := cmpWords[g.r.IntN(len(cmpWords))]
	v := g.threshold(c)
	_, ents := t.entity()
	col := g.mention(c)
	question := fill(g.one(
		"Find all {ents} with {col} {w} {v}.",
		"Which {ents} have a {col} {w} {v}?",
		"List the {ents} whose {col} is {w} {v}.",
		"Show {ents} where {col} is {w} {v}.",
		"Get every row of {t} with {col} {w} {v}.",
		"Return {ents} having {col} {w} {v}.",
	), "ents", ents, "col", col, "w", cw.words, "v", v, "t", t.Name)
	code := fmt.Sprintf("result = %s.filter(pl.col(%s) %s %s)", t.Name, q(c.Name), cw.op, v)
	return &draft{"filters", question, code, t1(t)}
}

func opFilterCat(g *gen) *draft {
	t, c, ok := g.tableColumn(5, func(c *colProfile) bool { return c.isCat() })
	if !ok {
		return nil
	}
	v := c.Values[g.r.IntN(len(c.Values))]
	ent, ents := t.entity()
	question := fill(g.one(
		"Find all {ents} where {col} is {v}.",
		"Find all {ents} with {col} = '{v}'.",
		"Which {ents} have {col} equal to {v}?",
		"List every {ent} whose {col} is \"{v}\".",
		"Show the {v} {ents}.",
		"Get {ents} in the {v} {col}.",
	), "ents", ents, "ent", ent, "col", g.mention(c), "v", v)
	neg := g.chance(0.2)
	op := "=="
	if neg {
		op = "!="
		question = fill(g.one("Find all {ents} whose {col} is not {v}.", "List {ents} except those with {col} {v}.", "Which {ents} have a {col} other than {v}?", "Show {ents} where {col} differs from '{v}'.", "Exclude {v} and return the remaining {ents}."),
			"ents", ents, "col", g.mention(c), "v", v)
	}
	code := fmt.Sprintf("result = %s.filter(pl.col(%s) %s %s)", t.Name, q(c.Name), op, q(v))
	return &draft{"filters", question, code, t1(t)}
}

func opFilterIn(g *gen) *draft {
	t, c, ok := g.tableColumn(5, func(c *colProfile) bool { return c.isCat() && len(c.Values) >= 3 })
	if !ok {
		return nil
	}
	k := 2 + g.r.IntN(2)
	perm := g.r.Perm(len(c.Values))[:k]
	vals := make([]string, k)
	for i, p := range perm {
		vals[i] = c.Values[p]
	}
	_, ents := t.entity()
	words := strings.Join(vals[:k-1], ", ") + g.one(" or ", " and ") + vals[k-1]
	question := fill(g.one(
		"Find {ents} with {col} {vals}.",
		"Find all {ents} whose {col} is one of {vals}.",
		"Which {ents} are in {col} {vals}?",
		"List {ents} where {col} is either {vals}.",
		"Show the {ents} for {col} in ({list}).",
	), "ents", ents, "col", g.mention(c), "vals", words, "list", strings.Join(vals, ", "))
	code := fmt.Sprintf("result = %s.filter(pl.col(%s).is_in([%s]))", t.Name, q(c.Name), quoteAll(vals))
	return &draft{"filters", question, code, t1(t)}
}

func opFilterBool(g *gen) *draft {
	t, c, ok := g.tableColumn(5, func(c *colProfile) bool { return c.isBool() })
	if !ok {
		return nil
	}
	_, ents := t.entity()
	word := strings.TrimPrefix(strings.TrimPrefix(c.Name, "is_"), "has_")
	word = strings.ReplaceAll(word, "_", " ")
	if g.chance(0.5) {
		question := fill(g.one("Find all {ents} that are {w}.", "Which {ents} are {w}?", "List {ents} where {col} is true.", "Show only {w} {ents}.", "Get the {ents} flagged {col}."), "ents", ents, "w", word, "col", c.Name)
		return &draft{"filters", question, fmt.Sprintf("result = %s.filter(pl.col(%s))", t.Name, q(c.Name)), t1(t)}
	}
	question := fill(g.one("Find all {ents} that are not {w}.", "Which {ents} are not {w}?", "List {ents} where {col} is false.", "Show {ents} that are not flagged {col}.", "Get non-{w} {ents}."), "ents", ents, "w", word, "col", c.Name)
	return &draft{"filters", question, fmt.Sprintf("result = %s.filter(~pl.col(%s))", t.Name, q(c.Name)), t1(t)}
}

func opFilterNull(g *gen) *draft {
	t := g.randomTable(5)
	c, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.Nulls > 0 && c.Nulls < t.Rows }))
	if !ok {
		return nil
	}
	_, ents := t.entity()
	if g.chance(0.5) {
		question := fill(g.one("Find {ents} with no {col} (null).", "Which {ents} have a missing {col}?", "List {ents} where {col} is null.", "Find {ents} that have no {col} recorded ({col} is null).", "Show the {ents} lacking a {col}."), "ents", ents, "col", c.Name)
		return &draft{"filters", question, fmt.Sprintf("result = %s.filter(pl.col(%s).is_null())", t.Name, q(c.Name)), t1(t)}
	}
	question := fill(g.one("Find {ents} that have a {col} (not null).", "Which {ents} have a {col} recorded?", "List {ents} where {col} is not null.", "Exclude {ents} with a null {col}.", "Show {ents} with a known {col}."), "ents", ents, "col", c.Name)
	return &draft{"filters", question, fmt.Sprintf("result = %s.filter(pl.col(%s).is_not_null())", t.Name, q(c.Name)), t1(t)}
}

func opFilterBetween(g *gen) *draft {
	t, c, ok := g.tableColumn(10, func(c *colProfile) bool { return c.isMeasure() })
	if !ok {
		return nil
	}
	lo, hi := nice(c, c.Q[g.r.IntN(2)]), nice(c, c.Q[3+g.r.IntN(2)])
	if lo == hi {
		return nil
	}
	_, ents := t.entity()
	question := fill(g.one(
		"Find {ents} with {col} between {lo} and {hi}.",
		"Which {ents} have {col} in the range {lo} to {hi} (inclusive)?",
		"List {ents} whose {col} lies between {lo} and {hi}.",
		"Show {ents} where {lo} <= {col} <= {hi}.",
		"Get {ents} with a {col} from {lo} to {hi}.",
	), "ents", ents, "col", g.mention(c), "lo", lo, "hi", hi)
	code := fmt.Sprintf("result = %s.filter(pl.col(%s).is_between(%s, %s))", t.Name, q(c.Name), lo, hi)
	return &draft{"filters", question, code, t1(t)}
}

// condition is one filter term in words and in code.
type condition struct{ words, code string }

func (g *gen) randomCondition(t *tableProfile, used map[string]bool) *condition {
	for range 10 {
		c := &t.Columns[g.r.IntN(len(t.Columns))]
		if used[c.Name] {
			continue
		}
		col := g.mention(c)
		switch {
		case c.isMeasure():
			cw := cmpWords[g.r.IntN(len(cmpWords))]
			v := g.threshold(c)
			used[c.Name] = true
			return &condition{col + " " + cw.words + " " + v, fmt.Sprintf("(pl.col(%s) %s %s)", q(c.Name), cw.op, v)}
		case c.isCat():
			v := c.Values[g.r.IntN(len(c.Values))]
			used[c.Name] = true
			return &condition{col + " " + g.one("equal to ", "= ", "of ") + v, fmt.Sprintf("(pl.col(%s) == %s)", q(c.Name), q(v))}
		case c.isBool():
			used[c.Name] = true
			if g.chance(0.5) {
				return &condition{"that are " + strings.ReplaceAll(strings.TrimPrefix(c.Name, "is_"), "_", " "), fmt.Sprintf("pl.col(%s)", q(c.Name))}
			}
			return &condition{"that are not " + strings.ReplaceAll(strings.TrimPrefix(c.Name, "is_"), "_", " "), fmt.Sprintf("~pl.col(%s)", q(c.Name))}
		case c.isDate() && len(c.QStr) == 3:
			v := c.QStr[g.r.IntN(3)][:10]
			used[c.Name] = true
			if g.chance(0.5) {
				return &condition{col + " before " + v, fmt.Sprintf("(pl.col(%s) < %s)", q(c.Name), q(v))}
			}
			return &condition{col + " on or after " + v, fmt.Sprintf("(pl.col(%s) >= %s)", q(c.Name), q(v))}
		case c.Nulls > 0 && c.Nulls < t.Rows:
			used[c.Name] = true
			return &condition{"a null " + col, fmt.Sprintf("pl.col(%s).is_null()", q(c.Name))}
		}
	}
	return nil
}

func opFilterCombo(g *gen) *draft {
	t := g.randomTable(20)
	used := map[string]bool{}
	n := 2 + g.r.IntN(2)
	var conds []*condition
	for range n {
		if c := g.randomCondition(t, used); c != nil {
			conds = append(conds, c)
		}
	}
	if len(conds) < 2 {
		return nil
	}
	words, codes := make([]string, len(conds)), make([]string, len(conds))
	for i, c := range conds {
		words[i], codes[i] = c.words, c.code
	}
	_, ents := t.entity()
	question := fill(g.one("Find {ents} with {conds}.", "Which {ents} have {conds}?", "List all {ents} with {conds}.", "Show {ents} matching: {list}.", "Get the rows of {t} with {conds}."),
		"ents", ents, "conds", join(words), "list", strings.Join(words, "; "), "t", t.Name)
	code := fmt.Sprintf("result = %s.filter(%s)", t.Name, strings.Join(codes, " & "))
	return &draft{"filters", question, code, t1(t)}
}
