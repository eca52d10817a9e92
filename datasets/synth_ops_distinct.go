package datasets

import "fmt"

// Operations of the synthesis category "distinct" (see ops in synth_ops.go).

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
