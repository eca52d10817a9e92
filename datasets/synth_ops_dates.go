package datasets

import "fmt"

// Operations of the synthesis category "dates" (see ops in synth_ops.go).
// All dates are strings, as in the bench.

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
		alias, round := sumOf(m)
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
	alias, round := sumOf(m)
	question := fill(g.one("What is the total {m} in {y} (by {col})?", "Sum {m} for rows with {col} in {y}.", "Total {m} for {y}, using {col}.", "Add up {m} where {col} is in {y}.", "Compute the {y} total of {m} (year from {col})."), "m", m.Name, "y", year, "col", c.Name)
	question += g.aliasNote(alias, 0.4)
	code := fmt.Sprintf("result = %s.filter(pl.col(%s).str.starts_with(%s)).select(pl.col(%s).sum()%s.alias(%s))", t.Name, q(c.Name), q(year), q(m.Name), round, q(alias))
	return &draft{"dates", question, code, t1(t)}
}
