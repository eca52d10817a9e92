package datasets

import "fmt"

// Operations of the synthesis category "derived" (see ops in synth_ops.go).

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
