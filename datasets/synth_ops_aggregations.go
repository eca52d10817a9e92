package datasets

import (
	"fmt"
	"strings"
)

// Operations of the synthesis category "aggregations" (see ops in synth_ops.go).

func (g *gen) groupAndMeasure(minRows int) (*tableProfile, *colProfile, *colProfile) {
	t := g.randomTable(minRows)
	gc, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isGroup(t.Rows) }))
	if !ok {
		return nil, nil, nil
	}
	m, ok2 := pickOne(g, t.pick(func(c *colProfile) bool { return c.isMeasure() && c.Name != gc.Name }))
	if !ok2 {
		return nil, nil, nil
	}
	return t, gc, m
}

func opCountBy(g *gen) *draft {
	t := g.randomTable(10)
	gc, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isGroup(t.Rows) }))
	if !ok {
		return nil
	}
	ent, ents := t.entity()
	question := fill(g.one("Count the number of {ents} per {g}.", "How many {ents} are there in each {g}?", "Number of {ents} by {g}.", "For each {g}, count the {ents}.", "Give the {ent} count per {g}.", "Count {ents} grouped by {g}."),
		"ents", ents, "ent", ent, "g", g.mention(gc))
	question += g.aliasNote("count", 0.2)
	code := fmt.Sprintf("result = %s.group_by(%s).agg(pl.len().alias(\"count\"))", t.Name, q(gc.Name))
	if g.chance(0.3) {
		question += g.one(" Sort by count descending.", " Order by the count, largest first.")
		code += `.sort("count", descending=True)`
	}
	return &draft{"aggregations", question, code, t1(t)}
}

func opSumBy(g *gen) *draft {
	t, gc, m := g.groupAndMeasure(10)
	if t == nil {
		return nil
	}
	alias := "total_" + base(m.Name)
	round, note := "", ""
	if m.isFloat() {
		d, n := g.rounding()
		round, note = fmt.Sprintf(".round(%d)", d), n
	}
	question := fill(g.one("Calculate the total {m} per {g}.", "What is the sum of {m} for each {g}?", "Total {m} by {g}.", "For every {g}, add up the {m}.", "Compute total {m} grouped by {g}."), "m", g.mention(m), "g", g.mention(gc))
	question = withTail(question, note) + g.aliasNote(alias, 0.3)
	code := fmt.Sprintf("result = %s.group_by(%s).agg(pl.col(%s).sum()%s.alias(%s))", t.Name, q(gc.Name), q(m.Name), round, q(alias))
	return &draft{"aggregations", question, code, t1(t)}
}

func opMeanBy(g *gen) *draft {
	t, gc, m := g.groupAndMeasure(10)
	if t == nil {
		return nil
	}
	alias := "avg_" + base(m.Name)
	d, note := g.rounding()
	question := fill(g.one("Calculate the average {m} per {g}.", "What is the mean {m} for each {g}?", "Average {m} by {g}.", "For every {g}, compute the average {m}.", "Find avg {m} grouped by {g}."), "m", g.mention(m), "g", g.mention(gc))
	question = withTail(question, note) + g.aliasNote(alias, 0.3)
	code := fmt.Sprintf("result = %s.group_by(%s).agg(pl.col(%s).mean().round(%d).alias(%s))", t.Name, q(gc.Name), q(m.Name), d, q(alias))
	if g.chance(0.3) {
		question += " Sort by " + gc.Name + "."
		code += ".sort(" + q(gc.Name) + ")"
	}
	return &draft{"aggregations", question, code, t1(t)}
}

func opMinMaxBy(g *gen) *draft {
	t, gc, m := g.groupAndMeasure(10)
	if t == nil {
		return nil
	}
	b := base(m.Name)
	question := fill(g.one("Find the minimum and maximum {m} per {g}.", "For each {g}, what are the lowest and highest {m}?", "Min and max {m} by {g}.", "Compute the smallest and largest {m} for every {g}.", "Show the range of {m} (min, max) per {g}."), "m", g.mention(m), "g", g.mention(gc))
	question += g.aliasNote("min_"+b+" and max_"+b, 0.3)
	code := fmt.Sprintf("result = %s.group_by(%s).agg(pl.col(%s).min().alias(%s), pl.col(%s).max().alias(%s))", t.Name, q(gc.Name), q(m.Name), q("min_"+b), q(m.Name), q("max_"+b))
	return &draft{"aggregations", question, code, t1(t)}
}

func opMultiAgg(g *gen) *draft {
	t, gc, m := g.groupAndMeasure(10)
	if t == nil {
		return nil
	}
	b := base(m.Name)
	round := round2(m)
	ent, ents := t.entity()
	question := fill(g.one("Calculate the total and average {m} per {g}, plus the number of {ents}.", "For each {g}, compute count, total {m} and average {m}.", "Per {g}: how many {ents}, their total {m} and mean {m}.", "Summarise {m} by {g}: count, sum and average.", "Group {ents} by {g} and report the {ent} count, total {m} and avg {m}."),
		"m", g.mention(m), "g", g.mention(gc), "ents", ents, "ent", ent)
	question += g.aliasNote("count, total_"+b+", avg_"+b, 0.3)
	code := fmt.Sprintf("result = %s.group_by(%s).agg(pl.len().alias(\"count\"), pl.col(%s).sum()%s.alias(%s), pl.col(%s).mean().round(2).alias(%s))",
		t.Name, q(gc.Name), q(m.Name), round, q("total_"+b), q(m.Name), q("avg_"+b))
	return &draft{"aggregations", question, code, t1(t)}
}

func opGlobalAgg(g *gen) *draft {
	t := g.randomTable(5)
	ms := t.pick(func(c *colProfile) bool { return c.isMeasure() })
	if len(ms) == 0 {
		return nil
	}
	m := ms[g.r.IntN(len(ms))]
	_, ents := t.entity()
	b := base(m.Name)
	round := round2(m)
	switch g.r.IntN(3) {
	case 0:
		question := fill(g.one("Calculate the total {m} across all {ents}.", "What is the overall sum of {m}?", "Sum {m} over the whole {t} table.", "Give the grand total of {m}.", "Add up {m} for every {ent}."), "m", g.mention(m), "ents", ents, "t", t.Name, "ent", strings.TrimSuffix(ents, "s"))
		question += g.aliasNote("total_"+b, 0.4)
		return &draft{"aggregations", question, fmt.Sprintf("result = %s.select(pl.col(%s).sum()%s.alias(%s))", t.Name, q(m.Name), round, q("total_"+b)), t1(t)}
	case 1:
		question := fill(g.one("What is the average {m} of all {ents}?", "Compute the mean {m} over {t}.", "Average {m} across all {ents}, rounded to 2 decimals.", "Find the overall avg {m}.", "Calculate the mean of {m}."), "m", g.mention(m), "ents", ents, "t", t.Name)
		question += g.aliasNote("avg_"+b, 0.4)
		return &draft{"aggregations", question, fmt.Sprintf("result = %s.select(pl.col(%s).mean().round(2).alias(%s))", t.Name, q(m.Name), q("avg_"+b)), t1(t)}
	}
	question := fill(g.one("Find the minimum, maximum and average {m}.", "What are the min, max and mean {m} over all {ents}?", "Give the lowest, highest and average {m}.", "Summarise {m}: min, max, avg.", "Compute min, max and average of {m} across {t}."), "m", g.mention(m), "ents", ents, "t", t.Name)
	question += g.aliasNote("min_"+b+", max_"+b+", avg_"+b, 0.4)
	return &draft{"aggregations", question, fmt.Sprintf("result = %s.select(pl.col(%s).min().alias(%s), pl.col(%s).max().alias(%s), pl.col(%s).mean().round(2).alias(%s))",
		t.Name, q(m.Name), q("min_"+b), q(m.Name), q("max_"+b), q(m.Name), q("avg_"+b)), t1(t)}
}

func opCountBy2(g *gen) *draft {
	t := g.randomTable(30)
	gs := t.pick(func(c *colProfile) bool { return c.isGroup(t.Rows) && c.NUnique <= 12 })
	if len(gs) < 2 {
		return nil
	}
	p := g.r.Perm(len(gs))
	a, b := gs[p[0]], gs[p[1]]
	_, ents := t.entity()
	question := fill(g.one("Count {ents} per {a} per {b}.", "How many {ents} are there for each combination of {a} and {b}?", "Number of {ents} by {a} and {b}.", "Count {ents} grouped by {a} and {b}, sorted by both.", "For each {a} and {b}, count the {ents}."), "ents", ents, "a", a.Name, "b", b.Name)
	code := fmt.Sprintf("result = %s.group_by(%s, %s).agg(pl.len().alias(\"count\")).sort(%s, %s)", t.Name, q(a.Name), q(b.Name), q(a.Name), q(b.Name))
	return &draft{"aggregations", question, code, t1(t)}
}
