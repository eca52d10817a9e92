package datasets

import "fmt"

// Operations of the synthesis category "sort_topk" (see ops in synth_ops.go).

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
	alias, round := sumOf(m)
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
