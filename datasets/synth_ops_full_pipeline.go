package datasets

import "fmt"

// Operations of the synthesis category "full_pipeline" (see ops in synth_ops.go).

func opFilterGroupTop(g *gen) *draft {
	t, gc, m := g.groupAndMeasure(30)
	if t == nil {
		return nil
	}
	cond := g.randomCondition(t, map[string]bool{gc.Name: true, m.Name: true})
	if cond == nil {
		return nil
	}
	alias, round := sumOf(m)
	k := 3 + g.r.IntN(3)
	_, ents := t.entity()
	question := fill(g.one("Among {ents} with {cond}, find the top {k} {g} by total {m}.", "Filter {ents} to {cond}, sum {m} per {g} and keep the {k} largest.", "Top {k} {g} by total {m}, counting only {ents} with {cond}.", "For {ents} with {cond}: total {m} per {g}, sorted descending, first {k}.", "Which {k} {g} have the highest total {m} among {ents} with {cond}?"), "ents", ents, "cond", cond.words, "k", fmt.Sprint(k), "g", gc.Name, "m", m.Name)
	question += g.aliasNote(alias, 0.3)
	code := fmt.Sprintf("result = %s.filter(%s).group_by(%s).agg(pl.col(%s).sum()%s.alias(%s)).sort(%s, descending=True).head(%d)", t.Name, cond.code, q(gc.Name), q(m.Name), round, q(alias), q(alias), k)
	return &draft{"full_pipeline", question, code, t1(t)}
}

func opJoinFilterGroup(g *gen) *draft {
	l, lt, rt, ok := g.pickLink(false)
	if !ok {
		return nil
	}
	gc, ok := pickOne(g, rt.pick(func(c *colProfile) bool { return c.isCat() && lt.col(c.Name) == nil }))
	m, ok2 := pickOne(g, lt.pick(func(c *colProfile) bool { return c.isMeasure() && rt.col(c.Name) == nil }))
	if !ok || !ok2 {
		return nil
	}
	cond := g.randomCondition(lt, map[string]bool{m.Name: true, l.LeftOn: true})
	if cond == nil {
		return nil
	}
	alias := "avg_" + base(m.Name)
	_, ents := lt.entity()
	question := fill(g.one("Join {L} with {R}, keep {ents} with {cond}, then compute the average {m} per {g}, highest first.", "Average {m} per {g} for {ents} with {cond}. Chain: {L} → {R}.", "For {ents} with {cond}, what is the mean {m} by {g} (from {R})? Sort descending.", "Per {g}: average {m} of {ents} having {cond}, joined through {l_on}.", "Filter {L} to {cond}, join {R}, group by {g}, average {m}, sort by it descending."), "L", lt.Name, "R", rt.Name, "ents", ents, "cond", cond.words, "m", m.Name, "g", gc.Name, "l_on", l.LeftOn)
	question += g.aliasNote(alias, 0.3)
	code := fmt.Sprintf("result = %s.filter(%s)%s.group_by(%s).agg(pl.col(%s).mean().round(2).alias(%s)).sort(%s, descending=True)", lt.Name, cond.code, joinCode(l, ""), q(gc.Name), q(m.Name), q(alias), q(alias))
	return &draft{"full_pipeline", question, code, []string{lt.Name, rt.Name}}
}

func opDerivedGroupHaving(g *gen) *draft {
	t, gc, m := g.groupAndMeasure(30)
	if t == nil {
		return nil
	}
	n := 2 + g.r.IntN(8)
	_, ents := t.entity()
	b := base(m.Name)
	question := fill(g.one("Find {g} values with more than {n} {ents}; show their count and average {m}.", "Which {g} have over {n} {ents}? Return count and avg {m}.", "For each {g} with more than {n} rows, give the number of {ents} and mean {m}.", "Group {ents} by {g}, keep groups larger than {n}, report count and average {m}.", "List {g} with count > {n} together with the average {m}."), "g", gc.Name, "n", fmt.Sprint(n), "ents", ents, "m", m.Name)
	question += g.aliasNote("count, avg_"+b, 0.4)
	code := fmt.Sprintf("result = %s.group_by(%s).agg(pl.len().alias(\"count\"), pl.col(%s).mean().round(2).alias(%s)).filter(pl.col(\"count\") > %d)", t.Name, q(gc.Name), q(m.Name), q("avg_"+b), n)
	return &draft{"full_pipeline", question, code, t1(t)}
}
