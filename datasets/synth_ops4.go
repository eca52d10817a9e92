package datasets

import (
	"fmt"
)

// ---------- dates (all dates are strings, as in the bench) ----------

func (g *gen) dateCol(minRows int) (*tableProfile, *colProfile) {
	t := g.randomTable(minRows)
	c, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isDate() && len(c.QStr) == 3 }))
	if !ok {
		return nil, nil
	}
	return t, c
}

func opYearCount(g *gen) *draft {
	t, c := g.dateCol(20)
	if t == nil {
		return nil
	}
	_, ents := t.entity()
	alias := "count"
	question := fill(g.one("Count {ents} per year. Extract year from {col}.", "How many {ents} were there each year (from {col})?", "Number of {ents} by year of {col}, sorted by year.", "Yearly {ent} counts based on {col}.", "Group {ents} by the year of {col} and count them."), "ents", ents, "ent", singular(ents), "col", c.Name)
	question += g.aliasNote("year, "+alias, 0.5)
	code := fmt.Sprintf("result = %s.with_columns(pl.col(%s).str.slice(0, 4).alias(\"year\")).group_by(\"year\").agg(pl.len().alias(%s)).sort(\"year\")", t.Name, q(c.Name), q(alias))
	return &draft{"dates", question, code, t1(t)}
}

func opMonthCount(g *gen) *draft {
	t, c := g.dateCol(20)
	if t == nil {
		return nil
	}
	_, ents := t.entity()
	m, hasM := pickOne(g, t.pick(func(x *colProfile) bool { return x.isMeasure() }))
	if hasM && g.chance(0.5) {
		alias := "total_" + base(m.Name)
		round := ""
		if m.isFloat() {
			round = ".round(2)"
		}
		question := fill(g.one("Total {m} per month (YYYY-MM) from {col}.", "Sum {m} by month of {col}, sorted by month.", "Monthly total {m}, month taken from {col} as YYYY-MM.", "For each month (YYYY-MM) of {col}, add up {m}.", "Compute total {m} per calendar month of {col}."), "m", m.Name, "col", c.Name)
		question += g.aliasNote("month, "+alias, 0.4)
		code := fmt.Sprintf("result = %s.with_columns(pl.col(%s).str.slice(0, 7).alias(\"month\")).group_by(\"month\").agg(pl.col(%s).sum()%s.alias(%s)).sort(\"month\")", t.Name, q(c.Name), q(m.Name), round, q(alias))
		return &draft{"dates", question, code, t1(t)}
	}
	question := fill(g.one("Count {ents} per month (YYYY-MM). Extract from {col}.", "How many {ents} per month of {col}?", "Monthly {ents} count by {col} (YYYY-MM), sorted by month.", "Number of {ents} in each month of {col}.", "Group by month of {col} (first 7 characters) and count."), "ents", ents, "col", c.Name)
	question += g.aliasNote("month, count", 0.5)
	code := fmt.Sprintf("result = %s.with_columns(pl.col(%s).str.slice(0, 7).alias(\"month\")).group_by(\"month\").agg(pl.len().alias(\"count\")).sort(\"month\")", t.Name, q(c.Name))
	return &draft{"dates", question, code, t1(t)}
}

func opDateFilter(g *gen) *draft {
	t, c := g.dateCol(10)
	if t == nil {
		return nil
	}
	_, ents := t.entity()
	year := c.QStr[g.r.IntN(3)][:4]
	switch g.r.IntN(3) {
	case 0:
		question := fill(g.one("Find {ents} from {y} ({col}).", "Which {ents} have a {col} in {y}?", "List {ents} whose {col} falls in the year {y}.", "Show {ents} with {col} during {y}.", "Get the {y} {ents} by {col}."), "ents", ents, "col", c.Name, "y", year)
		return &draft{"dates", question, fmt.Sprintf("result = %s.filter(pl.col(%s).str.starts_with(%s))", t.Name, q(c.Name), q(year)), t1(t)}
	case 1:
		v := c.QStr[g.r.IntN(3)][:10]
		question := fill(g.one("Find {ents} with {col} before {v}.", "Which {ents} have a {col} earlier than {v}?", "List {ents} dated ({col}) before {v}.", "Show {ents} whose {col} is prior to {v}.", "Get {ents} with {col} < {v}."), "ents", ents, "col", c.Name, "v", v)
		return &draft{"dates", question, fmt.Sprintf("result = %s.filter(pl.col(%s) < %s)", t.Name, q(c.Name), q(v)), t1(t)}
	}
	question := fill(g.one("Find {ents} with {col} in {y}, between {y}-01-01 and {y}-06-30.", "Which {ents} have {col} in the first half of {y}?", "List {ents} whose {col} is from {y}-01-01 to {y}-06-30.", "Show {ents} with {col} in H1 {y}.", "Get {ents} dated January to June {y} by {col}."), "ents", ents, "col", c.Name, "y", year)
	hi := year + "-06-30"
	if c.HasTime {
		hi = year + "-06-30 23:59:59"
	}
	return &draft{"dates", question, fmt.Sprintf("result = %s.filter((pl.col(%s) >= %s) & (pl.col(%s) <= %s))", t.Name, q(c.Name), q(year+"-01-01"), q(c.Name), q(hi)), t1(t)}
}

func opDateDiff(g *gen) *draft {
	t := g.randomTable(10)
	ds := t.pick(func(c *colProfile) bool { return c.isDate() && !c.HasTime })
	if len(ds) < 2 {
		return nil
	}
	a, b := ds[0], ds[1]
	if g.chance(0.5) {
		a, b = b, a
	}
	ent, _ := t.entity()
	alias := "days_" + base(a.Name) + "_to_" + base(b.Name)
	question := fill(g.one("For each {ent}, compute the number of days between {a} and {b}.", "How many days passed from {a} to {b} for every {ent}?", "Days from {a} until {b}, per {ent}.", "Add the gap in days between {a} and {b}.", "Compute {b} minus {a} in days."), "ent", ent, "a", a.Name, "b", b.Name)
	question += g.aliasNote(alias, 0.7)
	code := fmt.Sprintf("result = %s.with_columns((pl.col(%s).str.to_date() - pl.col(%s).str.to_date()).dt.total_days().alias(%s))", t.Name, q(b.Name), q(a.Name), q(alias))
	return &draft{"dates", question, code, t1(t)}
}

func opWeekday(g *gen) *draft {
	t, c := g.dateCol(20)
	if t == nil {
		return nil
	}
	_, ents := t.entity()
	parse := "str.to_date()"
	if c.HasTime {
		parse = "str.to_datetime()"
	}
	question := fill(g.one("Count {ents} per weekday of {col} (1 = Monday).", "How many {ents} fall on each day of the week, by {col}?", "Number of {ents} by weekday (Monday=1) of {col}.", "Group {ents} by the weekday of {col} and count.", "Parse {col} as a date and count rows per weekday."), "ents", ents, "col", c.Name)
	question += g.aliasNote("weekday, count", 0.6)
	code := fmt.Sprintf("result = %s.with_columns(pl.col(%s).%s.dt.weekday().alias(\"weekday\")).group_by(\"weekday\").agg(pl.len().alias(\"count\")).sort(\"weekday\")", t.Name, q(c.Name), parse)
	return &draft{"dates", question, code, t1(t)}
}

func opYearFilterAgg(g *gen) *draft {
	t, c := g.dateCol(20)
	if t == nil {
		return nil
	}
	m, ok := pickOne(g, t.pick(func(x *colProfile) bool { return x.isMeasure() }))
	if !ok {
		return nil
	}
	year := c.QStr[g.r.IntN(3)][:4]
	alias := "total_" + base(m.Name)
	round := ""
	if m.isFloat() {
		round = ".round(2)"
	}
	question := fill(g.one("What is the total {m} in {y} (by {col})?", "Sum {m} for rows with {col} in {y}.", "Total {m} for {y}, using {col}.", "Add up {m} where {col} is in {y}.", "Compute the {y} total of {m} (year from {col})."), "m", m.Name, "y", year, "col", c.Name)
	question += g.aliasNote(alias, 0.4)
	code := fmt.Sprintf("result = %s.filter(pl.col(%s).str.starts_with(%s)).select(pl.col(%s).sum()%s.alias(%s))", t.Name, q(c.Name), q(year), q(m.Name), round, q(alias))
	return &draft{"dates", question, code, t1(t)}
}

// ---------- derived columns ----------

func opArith(g *gen) *draft {
	t := g.randomTable(5)
	ms := t.pick(func(c *colProfile) bool { return c.isMeasure() })
	if len(ms) < 2 {
		return nil
	}
	p := g.r.Perm(len(ms))
	a, b := ms[p[0]], ms[p[1]]
	ent, _ := t.entity()
	ops := []struct{ sym, word, name string }{{"*", "times", "product"}, {"+", "plus", "sum"}, {"-", "minus", "diff"}}
	o := ops[g.r.IntN(len(ops))]
	alias := base(a.Name) + "_" + o.name + "_" + base(b.Name)
	round := ""
	if a.isFloat() || b.isFloat() {
		round = ".round(2)"
	}
	question := fill(g.one("Add a column {al} = {a} {s} {b}.", "For every {ent}, compute {a} {w} {b}.", "Derive {a} {s} {b} for each row of {t}.", "Calculate {a} {w} {b} as a new column.", "Create {al} as {a} {w} {b}."), "al", alias, "a", a.Name, "b", b.Name, "s", o.sym, "w", o.word, "ent", ent, "t", t.Name)
	question += g.aliasNote(alias, 0.5)
	code := fmt.Sprintf("result = %s.with_columns((pl.col(%s) %s pl.col(%s))%s.alias(%s))", t.Name, q(a.Name), o.sym, q(b.Name), round, q(alias))
	return &draft{"derived", question, code, t1(t)}
}

func opRatio(g *gen) *draft {
	t := g.randomTable(5)
	m, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isMeasure() && c.Max >= 100 }))
	if !ok {
		return nil
	}
	div := []struct {
		n    string
		unit string
	}{{"1000", "thousands"}, {"100", "hundreds"}, {"1e6", "millions"}}[g.r.IntN(3)]
	alias := base(m.Name) + "_" + div.unit
	question := fill(g.one("Express {m} in {u} ({m} / {n}), rounded to 2 decimals.", "Add {m} divided by {n}.", "Convert {m} to {u}.", "Compute {m} / {n} for every row, 2 decimals.", "Show {m} in {u} as a new column."), "m", m.Name, "u", div.unit, "n", div.n)
	question += g.aliasNote(alias, 0.6)
	code := fmt.Sprintf("result = %s.with_columns((pl.col(%s) / %s).round(2).alias(%s))", t.Name, q(m.Name), div.n, q(alias))
	return &draft{"derived", question, code, t1(t)}
}

func opWhenThen(g *gen) *draft {
	t := g.randomTable(10)
	m, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isMeasure() && c.Nulls == 0 }))
	if !ok {
		return nil
	}
	hi, lo := nice(m, m.Q[3]), nice(m, m.Q[1])
	if hi == lo {
		return nil
	}
	alias := base(m.Name) + "_class"
	ent, _ := t.entity()
	question := fill(g.one("Classify each {ent}: 'high' if {m} > {hi}, 'medium' if > {lo}, else 'low'.", "Label {m} as high (above {hi}), medium (above {lo}) or low.", "Add a category: {m} > {hi} is 'high', > {lo} is 'medium', otherwise 'low'.", "Bucket {m} into high/medium/low with cut-offs {hi} and {lo}.", "For every {ent}, tag {m} high when over {hi}, medium when over {lo}, low otherwise."), "ent", ent, "m", m.Name, "hi", hi, "lo", lo)
	question += g.aliasNote(alias, 0.6)
	code := fmt.Sprintf("result = %s.with_columns(pl.when(pl.col(%s) > %s).then(pl.lit(\"high\")).when(pl.col(%s) > %s).then(pl.lit(\"medium\")).otherwise(pl.lit(\"low\")).alias(%s))", t.Name, q(m.Name), hi, q(m.Name), lo, q(alias))
	return &draft{"derived", question, code, t1(t)}
}

// ---------- distinct ----------

func opNUniqueBy(g *gen) *draft {
	t := g.randomTable(20)
	gc, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isGroup(t.Rows) }))
	if !ok {
		return nil
	}
	c, ok := pickOne(g, t.pick(func(x *colProfile) bool { return x.Name != gc.Name && x.NUnique > 1 && !x.isFloat() }))
	if !ok {
		return nil
	}
	alias := "n_" + base(c.Name)
	question := fill(g.one("For each {g}, count the distinct {c} values.", "How many different {c} are there per {g}?", "Number of unique {c} by {g}.", "Count distinct {c} within every {g}.", "Per {g}, how many unique {c} appear?"), "g", gc.Name, "c", c.Name)
	question += g.aliasNote(alias, 0.6)
	code := fmt.Sprintf("result = %s.group_by(%s).agg(pl.col(%s).n_unique().alias(%s))", t.Name, q(gc.Name), q(c.Name), q(alias))
	return &draft{"distinct", question, code, t1(t)}
}

func opNUniqueGlobal(g *gen) *draft {
	t := g.randomTable(10)
	c, ok := pickOne(g, t.pick(func(x *colProfile) bool { return x.NUnique > 1 && x.NUnique < t.Rows && !x.isFloat() }))
	if !ok {
		return nil
	}
	alias := "n_" + base(c.Name)
	question := fill(g.one("How many distinct {c} values are there in {t}?", "Count the unique {c}.", "Number of different {c} values.", "Count distinct {c} across all rows of {t}.", "How many unique {c} appear?"), "c", c.Name, "t", t.Name)
	question += g.aliasNote(alias, 0.6)
	return &draft{"distinct", question, fmt.Sprintf("result = %s.select(pl.col(%s).n_unique().alias(%s))", t.Name, q(c.Name), q(alias)), t1(t)}
}

func opUniqueValues(g *gen) *draft {
	t := g.randomTable(10)
	c, ok := pickOne(g, t.pick(func(x *colProfile) bool { return x.NUnique > 1 && x.NUnique < t.Rows/2 }))
	if !ok {
		return nil
	}
	question := fill(g.one("List the distinct {c} values in {t}.", "What are the unique {c}?", "Show each different {c} once.", "Return the unique values of {c}.", "Which {c} values occur in {t}?"), "c", c.Name, "t", t.Name)
	return &draft{"distinct", question, fmt.Sprintf("result = %s.select(%s).unique()", t.Name, q(c.Name)), t1(t)}
}

// ---------- full pipelines ----------

func opFilterGroupTop(g *gen) *draft {
	t, gc, m := g.groupAndMeasure(30)
	if t == nil {
		return nil
	}
	cond := g.randomCondition(t, map[string]bool{gc.Name: true, m.Name: true})
	if cond == nil {
		return nil
	}
	alias := "total_" + base(m.Name)
	round := ""
	if m.isFloat() {
		round = ".round(2)"
	}
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
