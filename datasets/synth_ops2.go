package datasets

import (
	"fmt"
	"strings"
)

// ---------- aggregations ----------

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
	round := ""
	if m.isFloat() {
		round = ".round(2)"
	}
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
	round := ""
	if m.isFloat() {
		round = ".round(2)"
	}
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

// ---------- joins ----------

func (g *gen) pickLink(selfOK bool) (link, *tableProfile, *tableProfile, bool) {
	l, ok := pickOne(g, g.linksOf(selfOK))
	if !ok {
		return link{}, nil, nil, false
	}
	return l, g.ps.byName[l.Left], g.ps.byName[l.Right], true
}

func opJoinSelect(g *gen) *draft {
	l, lt, rt, ok := g.pickLink(false)
	if !ok || l.Left == l.Right {
		return nil
	}
	cols, from := joinedColumns(lt, rt, l)
	// Take one descriptive column from each side.
	var leftCol, rightCol string
	for _, n := range cols {
		c := from[n]
		if c.isStr() && !c.isKey() {
			if lt.col(n) == c && leftCol == "" {
				leftCol = n
			} else if lt.col(c.Name) != c && rightCol == "" {
				rightCol = n
			}
		}
	}
	if rightCol == "" {
		return nil
	}
	sel := []string{rightCol}
	if leftCol != "" {
		sel = []string{leftCol, rightCol}
	}
	ent, _ := lt.entity()
	rent, _ := rt.entity()
	question := fill(g.one("Join {L} with {R} to get {rc} for each {ent}.", "For every {ent}, show the {rent}'s {rc}.", "List each {ent} with its {rent} {rc}.", "Combine {L} and {R} on {key}. Select {sel}.", "Attach the {rent} {rc} to every {ent} and return {sel}."),
		"L", lt.Name, "R", rt.Name, "rc", strings.TrimSuffix(rightCol, "_right"), "ent", ent, "rent", rent, "key", l.LeftOn, "sel", join(sel))
	code := fmt.Sprintf("result = %s%s.select(%s)", lt.Name, joinCode(l, ""), quoteAll(sel))
	if strings.HasSuffix(rightCol, "_right") {
		alias := strings.ReplaceAll(singular(rt.Name[strings.Index(rt.Name, "_")+1:]), " ", "_") + "_" + strings.TrimSuffix(rightCol, "_right")
		selCode := []string{}
		if leftCol != "" {
			selCode = append(selCode, q(leftCol))
		}
		selCode = append(selCode, fmt.Sprintf("pl.col(%s).alias(%s)", q(rightCol), q(alias)))
		question += g.aliasNote(alias, 0.6)
		code = fmt.Sprintf("result = %s%s.select(%s)", lt.Name, joinCode(l, ""), strings.Join(selCode, ", "))
	}
	return &draft{"joins", question, code, []string{lt.Name, rt.Name}}
}

func opJoinFilter(g *gen) *draft {
	l, lt, rt, ok := g.pickLink(false)
	if !ok {
		return nil
	}
	c, ok := pickOne(g, rt.pick(func(c *colProfile) bool { return c.isCat() && c.Name != l.RightOn && lt.col(c.Name) == nil }))
	if !ok {
		return nil
	}
	v := c.Values[g.r.IntN(len(c.Values))]
	_, ents := lt.entity()
	rent, _ := rt.entity()
	question := fill(g.one("Find all {ents} whose {rent} has {col} {v}.", "List {ents} linked to a {rent} with {col} = '{v}'.", "Which {ents} belong to {rent}s in {col} {v}? Join {L} with {R}.", "Join {L} and {R}, keep rows where {col} is {v}.", "Show {ents} for the {v} {col} (via {R})."),
		"ents", ents, "rent", rent, "col", c.Name, "v", v, "L", lt.Name, "R", rt.Name)
	code := fmt.Sprintf("result = %s%s.filter(pl.col(%s) == %s)", lt.Name, joinCode(l, ""), q(c.Name), q(v))
	return &draft{"joins", question, code, []string{lt.Name, rt.Name}}
}

func opSemiJoin(g *gen) *draft {
	l, many, one, ok := g.pickLink(false)
	if !ok || l.LeftUnique {
		return nil
	}
	// one.semi(many): the "one" side rows that have at least one match.
	rev := link{Left: l.Right, LeftOn: l.RightOn, Right: l.Left, RightOn: l.LeftOn}
	_, ones := one.entity()
	_, manys := many.entity()
	question := fill(g.one("Find {ones} that have at least one {manys_s}.", "Semi join: which {ones} appear in {M}?", "List the {ones} with any matching {manys}.", "Keep only {ones} referenced by {M}.", "Which {ones} have one or more {manys}?"),
		"ones", ones, "manys", manys, "manys_s", strings.TrimSuffix(manys, "s"), "M", many.Name)
	code := fmt.Sprintf("result = %s%s", one.Name, joinCode(rev, "semi"))
	return &draft{"joins", question, code, []string{one.Name, many.Name}}
}

func opAntiJoin(g *gen) *draft {
	l, many, one, ok := g.pickLink(false)
	if !ok || l.LeftUnique {
		return nil
	}
	rev := link{Left: l.Right, LeftOn: l.RightOn, Right: l.Left, RightOn: l.LeftOn}
	_, ones := one.entity()
	_, manys := many.entity()
	question := fill(g.one("Anti join: find {ones} that have no {manys}.", "Which {ones} never appear in {M}?", "List {ones} without any {manys}.", "Find {ones} with no matching row in {M}.", "Show the {ones} that have never had {manys}."),
		"ones", ones, "manys", manys, "M", many.Name)
	code := fmt.Sprintf("result = %s%s", one.Name, joinCode(rev, "anti"))
	return &draft{"joins", question, code, []string{one.Name, many.Name}}
}

func opJoinAgg(g *gen) *draft {
	l, lt, rt, ok := g.pickLink(false)
	if !ok {
		return nil
	}
	gc, ok := pickOne(g, rt.pick(func(c *colProfile) bool { return c.isCat() && lt.col(c.Name) == nil }))
	if !ok {
		return nil
	}
	_, ents := lt.entity()
	m, hasM := pickOne(g, lt.pick(func(c *colProfile) bool { return c.isMeasure() && rt.col(c.Name) == nil }))
	if hasM && g.chance(0.6) {
		alias := "total_" + base(m.Name)
		round := ""
		if m.isFloat() {
			round = ".round(2)"
		}
		question := fill(g.one("Calculate total {m} per {g}. Join {L} → {R}.", "What is the total {m} for each {g}? Join {L} with {R}.", "Sum {m} by {g} (the {g} comes from {R}).", "Total {m} per {g}, joining {L} to {R} on {key}.", "For each {g}, add up the {m} of its {ents}."),
			"m", m.Name, "g", gc.Name, "L", lt.Name, "R", rt.Name, "key", l.LeftOn, "ents", ents)
		question += g.aliasNote(alias, 0.3)
		code := fmt.Sprintf("result = %s%s.group_by(%s).agg(pl.col(%s).sum()%s.alias(%s)).sort(%s, descending=True)", lt.Name, joinCode(l, ""), q(gc.Name), q(m.Name), round, q(alias), q(alias))
		return &draft{"joins", question, code, []string{lt.Name, rt.Name}}
	}
	question := fill(g.one("Count {ents} per {g}. Join {L} with {R}.", "How many {ents} are there for each {g}? (join {L} → {R})", "Number of {ents} by {g} from {R}.", "For each {g}, count the {ents}, joining on {key}.", "Join {L} and {R} and count rows per {g}."),
		"ents", ents, "g", gc.Name, "L", lt.Name, "R", rt.Name, "key", l.LeftOn)
	code := fmt.Sprintf("result = %s%s.group_by(%s).agg(pl.len().alias(\"count\"))", lt.Name, joinCode(l, ""), q(gc.Name))
	return &draft{"joins", question, code, []string{lt.Name, rt.Name}}
}

func opJoinChain(g *gen) *draft {
	// A -> B -> C where B.right side links onward.
	l1, a, b, ok := g.pickLink(false)
	if !ok {
		return nil
	}
	var nexts []link
	for _, l := range g.linksOf(false) {
		if l.Left == b.Name && l.Right != a.Name && a.col(l.LeftOn) == nil {
			nexts = append(nexts, l)
		}
	}
	l2, ok := pickOne(g, nexts)
	if !ok {
		return nil
	}
	c := g.ps.byName[l2.Right]
	gc, ok := pickOne(g, c.pick(func(x *colProfile) bool { return x.isCat() && a.col(x.Name) == nil && b.col(x.Name) == nil }))
	if !ok {
		return nil
	}
	_, ents := a.entity()
	question := fill(g.one("Count {ents} per {g}. Join {A} → {B} → {C}.", "3-table join: how many {ents} for each {g}? Chain: {A} → {B} → {C}.", "For each {g} (from {C}), count the {ents} via {B}.", "Number of {ents} by {g}. Join {A} with {B} and {C}.", "Join {A}, {B} and {C}, then count rows per {g}."),
		"ents", ents, "g", gc.Name, "A", a.Name, "B", b.Name, "C", c.Name)
	code := fmt.Sprintf("result = %s%s%s.group_by(%s).agg(pl.len().alias(\"count\")).sort(\"count\", descending=True)", a.Name, joinCode(l1, ""), joinCode(l2, ""), q(gc.Name))
	return &draft{"joins", question, code, []string{a.Name, b.Name, c.Name}}
}
