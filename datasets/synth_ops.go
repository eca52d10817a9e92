package datasets

import (
	"fmt"
	"strings"
)

// Categories the generator produces, in output order.
var SynthCategories = []string{
	"filters", "select", "sort_topk", "aggregations", "joins", "window_functions",
	"string_ops", "dates", "derived", "distinct", "full_pipeline",
}

type opFunc func(g *gen) *draft

// ops maps each category to its operations; each returns nil when the drawn
// table does not suit it, and the caller draws again.
var ops = map[string][]opFunc{
	"filters":          {opFilterNum, opFilterCat, opFilterIn, opFilterBool, opFilterNull, opFilterBetween, opFilterCombo},
	"select":           {opSelectCols, opSelectFilter, opSelectRename},
	"sort_topk":        {opTopK, opTopKSelect, opTopGroup},
	"aggregations":     {opCountBy, opSumBy, opMeanBy, opMultiAgg, opGlobalAgg, opCountBy2, opMinMaxBy},
	"joins":            {opJoinSelect, opJoinFilter, opSemiJoin, opAntiJoin, opJoinAgg, opJoinChain},
	"window_functions": {opRankOver, opCumSumOver, opShiftDiff, opPctOfGroup, opDiffFromMean, opFlagMax, opCumCount},
	"string_ops":       {opStrContains, opStrStarts, opStrLen, opStrUpper, opFirstLetter},
	"dates":            {opYearCount, opMonthCount, opDateFilter, opDateDiff, opWeekday, opYearFilterAgg},
	"derived":          {opArith, opRatio, opWhenThen},
	"distinct":         {opNUniqueBy, opNUniqueGlobal, opUniqueValues},
	"full_pipeline":    {opFilterGroupTop, opJoinFilterGroup, opDerivedGroupHaving},
}

func t1(t *tableProfile) []string { return []string{t.Name} }

// ---------- filters ----------

var cmpWords = []struct{ op, words string }{
	{">", "above"}, {">", "greater than"}, {">", "over"}, {">", "more than"},
	{"<", "below"}, {"<", "less than"}, {"<", "under"},
	{">=", "at least"}, {"<=", "at most"},
}

func opFilterNum(g *gen) *draft {
	t := g.randomTable(10)
	c, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isMeasure() }))
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
	t := g.randomTable(5)
	c, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isCat() }))
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
	t := g.randomTable(5)
	c, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isCat() && len(c.Values) >= 3 }))
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
	t := g.randomTable(5)
	c, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isBool() }))
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
	t := g.randomTable(10)
	c, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isMeasure() }))
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

// ---------- select ----------

func (g *gen) someColumns(t *tableProfile, k int) []*colProfile {
	if len(t.Columns) <= k {
		return nil
	}
	perm := g.r.Perm(len(t.Columns))[:k]
	out := make([]*colProfile, k)
	for i, p := range perm {
		out[i] = &t.Columns[p]
	}
	return out
}

func names(cs []*colProfile) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func opSelectCols(g *gen) *draft {
	t := g.randomTable(2)
	cs := g.someColumns(t, 2+g.r.IntN(2))
	if cs == nil {
		return nil
	}
	ent, ents := t.entity()
	ns := names(cs)
	question := fill(g.one("Show the {cols} of every {ent}.", "Select {cols} from {t}.", "List {cols} for all {ents}.", "Return only the columns {list}.", "Give me each {ent}'s {cols}.", "Keep just {cols} of the {ents}."),
		"cols", join(ns), "list", strings.Join(ns, ", "), "t", t.Name, "ent", ent, "ents", ents)
	return &draft{"select", question, fmt.Sprintf("result = %s.select(%s)", t.Name, quoteAll(ns)), t1(t)}
}

func opSelectFilter(g *gen) *draft {
	t := g.randomTable(5)
	cond := g.randomCondition(t, map[string]bool{})
	cs := g.someColumns(t, 2+g.r.IntN(2))
	if cond == nil || cs == nil {
		return nil
	}
	_, ents := t.entity()
	ns := names(cs)
	question := fill(g.one("For {ents} with {cond}, return {cols}.", "Show {cols} of {ents} with {cond}.", "List the {cols} of all {ents} with {cond}.", "Which {ents} have {cond}? Return {list}.", "Get {cols} for {ents} with {cond}."),
		"ents", ents, "cond", cond.words, "cols", join(ns), "list", strings.Join(ns, ", "))
	return &draft{"select", question, fmt.Sprintf("result = %s.filter(%s).select(%s)", t.Name, cond.code, quoteAll(ns)), t1(t)}
}

func opSelectRename(g *gen) *draft {
	t := g.randomTable(2)
	cs := g.someColumns(t, 2)
	if cs == nil {
		return nil
	}
	ent, _ := t.entity()
	newName := strings.ReplaceAll(ent, " ", "_") + "_" + base(cs[1].Name)
	if strings.HasPrefix(base(cs[1].Name), strings.ReplaceAll(ent, " ", "_")) {
		newName = "the_" + base(cs[1].Name)
	}
	question := fill(g.one("Select {a} and {b} from {t}, renaming {b} to {n}.", "Show {a} and {b} (as {n}) for every {ent}.", "Return {a} together with {b} renamed {n}.", "List each {ent}'s {a} and {b}; call the second column {n}.", "Get {a}, plus {b} under the name {n}."),
		"a", cs[0].Name, "b", cs[1].Name, "n", newName, "t", t.Name, "ent", ent)
	code := fmt.Sprintf("result = %s.select(%s, pl.col(%s).alias(%s))", t.Name, q(cs[0].Name), q(cs[1].Name), q(newName))
	return &draft{"select", question, code, t1(t)}
}

// ---------- sort and top-k ----------

func opTopK(g *gen) *draft {
	t := g.randomTable(10)
	// A unique sort key without nulls: no ties at the cut, so the gold is stable.
	c, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isMeasure() && t.isUniqueCol(c) }))
	if !ok {
		return nil
	}
	k := []int{1, 3, 5, 10}[g.r.IntN(4)]
	_, ents := t.entity()
	desc := g.chance(0.6)
	dir := g.one("highest", "largest", "top")
	if !desc {
		dir = g.one("lowest", "smallest", "bottom")
	}
	question := fill(g.one("Find the {k} {ents} with the {dir} {col}.", "Top {k} {ents} by {col}{ord}.", "Which {k} {ents} have the {dir} {col}?", "List the {k} {ents} with the {dir} {col}.", "Show the {dir} {k} {ents} ranked by {col}."),
		"k", fmt.Sprint(k), "ents", ents, "dir", dir, "col", g.mention(c), "ord", map[bool]string{true: "", false: " (ascending)"}[desc])
	code := fmt.Sprintf("result = %s.sort(%s%s).head(%d)", t.Name, q(c.Name), map[bool]string{true: ", descending=True", false: ""}[desc], k)
	return &draft{"sort_topk", question, code, t1(t)}
}

func opTopKSelect(g *gen) *draft {
	t := g.randomTable(10)
	c, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isMeasure() && t.isUniqueCol(c) }))
	if !ok {
		return nil
	}
	other, ok := pickOne(g, t.pick(func(x *colProfile) bool { return x.isStr() && x.Name != c.Name }))
	if !ok {
		return nil
	}
	k := 3 + g.r.IntN(8)
	_, ents := t.entity()
	question := fill(g.one("Show the {o} and {col} of the {k} {ents} with the highest {col}.", "Top {k} {ents} by {col}: return {o} and {col}.", "What are the {k} largest {col} values, with their {o}?", "List {o}, {col} for the {k} {ents} with the most {col}.", "Return {o} and {col} of the top {k} {ents} sorted by {col} descending."),
		"o", other.Name, "col", c.Name, "k", fmt.Sprint(k), "ents", ents)
	code := fmt.Sprintf("result = %s.sort(%s, descending=True).head(%d).select(%s, %s)", t.Name, q(c.Name), k, q(other.Name), q(c.Name))
	return &draft{"sort_topk", question, code, t1(t)}
}

func opTopGroup(g *gen) *draft {
	t := g.randomTable(20)
	gc, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isGroup(t.Rows) }))
	m, ok2 := pickOne(g, t.pick(func(c *colProfile) bool { return c.isMeasure() }))
	if !ok || !ok2 {
		return nil
	}
	alias := "total_" + base(m.Name)
	round := ""
	if m.isFloat() {
		round = ".round(2)"
	}
	k := 1 + g.r.IntN(5)
	question := fill(g.one("Which {k} {g} values have the highest total {m}?", "Find the top {k} {g} by total {m}.", "Top {k} {g} ranked by sum of {m}.", "What are the {k} {g} with the largest total {m}?", "Rank {g} by total {m} and keep the first {k}."),
		"k", fmt.Sprint(k), "g", gc.Name, "m", m.Name)
	if k == 1 {
		question = fill(g.one("Find the {g} with the highest total {m}.", "Which {g} has the largest total {m}?", "What {g} has the biggest sum of {m}?", "Find the {g} with the most {m} in total.", "Return the single {g} with the top total {m}."), "g", gc.Name, "m", m.Name)
	}
	question += g.aliasNote(alias, 0.3)
	code := fmt.Sprintf("result = %s.group_by(%s).agg(pl.col(%s).sum()%s.alias(%s)).sort(%s, descending=True).head(%d)", t.Name, q(gc.Name), q(m.Name), round, q(alias), q(alias), k)
	return &draft{"sort_topk", question, code, t1(t)}
}
