package datasets

import (
	"fmt"
	"strings"
)

// Operations of the synthesis category "window_functions" (see ops in synth_ops.go).

func (g *gen) windowParts() (*tableProfile, *colProfile, *colProfile, string, string) {
	t, gc, m := g.groupAndMeasure(20)
	if t == nil {
		return nil, nil, nil, "", ""
	}
	ent, _ := t.entity()
	return t, gc, m, ent, g.mention(gc)
}

func opRankOver(g *gen) *draft {
	t, gc, m, ent, gw := g.windowParts()
	if t == nil {
		return nil
	}
	_, ents := t.entity()
	alias := base(m.Name) + "_rank"
	question := fill(g.one("Rank {ents} by {m} within each {g} (highest first).", "For each {g}, rank the {ents} by {m} descending.", "Within every {g}, give each {ent} a dense rank of {m}, largest first.", "Rank {m} inside each {g}, most first.", "Add a rank of {m} per {g} (1 = highest)."), "ents", ents, "ent", ent, "m", m.Name, "g", gw)
	question += g.aliasNote(alias, 0.6)
	code := fmt.Sprintf("result = %s.with_columns(pl.col(%s).rank(method=\"dense\", descending=True).over(%s).alias(%s))", t.Name, q(m.Name), q(gc.Name), q(alias))
	return &draft{"window_functions", question, code, t1(t)}
}

func (g *gen) orderCol(t *tableProfile) *colProfile {
	c, ok := pickOne(g, t.pick(func(c *colProfile) bool { return (c.isDate() && c.Nulls == 0) || (c.isKey() && t.isUniqueCol(c)) }))
	if !ok {
		return nil
	}
	return c
}

func opCumSumOver(g *gen) *draft {
	t, gc, m, _, gw := g.windowParts()
	if t == nil {
		return nil
	}
	o := g.orderCol(t)
	if o == nil || o.Name == gc.Name {
		return nil
	}
	alias := g.one("running_total", "cum_"+base(m.Name))
	question := fill(g.one("For each {g}, compute a running total of {m} ordered by {o}.", "Cumulative sum of {m} per {g}, in {o} order.", "Running {m} total within every {g}, sorted by {o}.", "Within each {g}, accumulate {m} by {o}.", "Add the cumulative {m} per {g} ordered by {o}."), "g", gw, "m", m.Name, "o", o.Name)
	question += g.aliasNote(alias, 0.6)
	code := fmt.Sprintf("result = %s.sort(%s, %s).with_columns(pl.col(%s).cum_sum().over(%s).alias(%s))", t.Name, q(gc.Name), q(o.Name), q(m.Name), q(gc.Name), q(alias))
	return &draft{"window_functions", question, code, t1(t)}
}

func opShiftDiff(g *gen) *draft {
	t, gc, m, ent, gw := g.windowParts()
	if t == nil {
		return nil
	}
	o := g.orderCol(t)
	if o == nil || o.Name == gc.Name {
		return nil
	}
	alias := base(m.Name) + "_change"
	question := fill(g.one("For each {g}, compute the difference in {m} from the previous {ent} ordered by {o}.", "Change in {m} versus the prior row within each {g} (order by {o}).", "Per {g}, subtract the previous {m} from the current one, sorted by {o}.", "Compute {m} minus the previous {m} per {g}, ordered by {o}.", "Within every {g}, how much did {m} change since the previous {ent} (by {o})?"), "g", gw, "m", m.Name, "o", o.Name, "ent", ent)
	question += g.aliasNote(alias, 0.6)
	code := fmt.Sprintf("result = %s.sort(%s, %s).with_columns((pl.col(%s) - pl.col(%s).shift(1).over(%s)).alias(%s))", t.Name, q(gc.Name), q(o.Name), q(m.Name), q(m.Name), q(gc.Name), q(alias))
	return &draft{"window_functions", question, code, t1(t)}
}

func opPctOfGroup(g *gen) *draft {
	t, gc, m, ent, gw := g.windowParts()
	if t == nil {
		return nil
	}
	question := fill(g.one("For each {g}, compute the percentage of total {m} each {ent} represents.", "What share of its {g}'s total {m} is each {ent}? As a percentage.", "Percent of {g} total {m} per row.", "Express each {m} as a % of the {g} total.", "Add each {ent}'s {m} as a percentage of the sum within its {g}."), "g", gw, "m", m.Name, "ent", ent)
	question += g.aliasNote("pct_of_total", 0.5)
	code := fmt.Sprintf("result = %s.with_columns((pl.col(%s) / pl.col(%s).sum().over(%s) * 100).round(2).alias(\"pct_of_total\"))", t.Name, q(m.Name), q(m.Name), q(gc.Name))
	return &draft{"window_functions", question, code, t1(t)}
}

func opDiffFromMean(g *gen) *draft {
	t, gc, m, ent, gw := g.windowParts()
	if t == nil {
		return nil
	}
	alias := base(m.Name) + "_diff_from_avg"
	question := fill(g.one("For each {g}, compute the difference between each {ent}'s {m} and the {g} average.", "How far is each {m} from its {g} mean?", "Subtract the average {m} of the {g} from every {ent}'s {m}.", "Deviation of {m} from the per-{g} average.", "Add {m} minus the mean {m} within the {g}."), "g", gw, "m", m.Name, "ent", ent)
	question += g.aliasNote(alias, 0.6)
	code := fmt.Sprintf("result = %s.with_columns((pl.col(%s) - pl.col(%s).mean().over(%s)).round(2).alias(%s))", t.Name, q(m.Name), q(m.Name), q(gc.Name), q(alias))
	return &draft{"window_functions", question, code, t1(t)}
}

func opFlagMax(g *gen) *draft {
	t, gc, m, ent, gw := g.windowParts()
	if t == nil {
		return nil
	}
	alias := "is_max_" + base(m.Name)
	question := fill(g.one("Flag the {ent} with the highest {m} in each {g} ({a} = True/False).", "Mark whether each {ent} has its {g}'s maximum {m}.", "Add a boolean saying if {m} equals the {g} maximum.", "For each {g}, flag rows holding the top {m}.", "Is this the largest {m} within the {g}? Add it as a flag."), "ent", ent, "m", m.Name, "g", gw, "a", alias)
	question += g.aliasNote(alias, 0.5)
	code := fmt.Sprintf("result = %s.with_columns((pl.col(%s) == pl.col(%s).max().over(%s)).alias(%s))", t.Name, q(m.Name), q(m.Name), q(gc.Name), q(alias))
	return &draft{"window_functions", question, code, t1(t)}
}

func opCumCount(g *gen) *draft {
	t := g.randomTable(20)
	gc, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isGroup(t.Rows) }))
	if !ok {
		return nil
	}
	o := g.orderCol(t)
	if o == nil || o.Name == gc.Name {
		return nil
	}
	ent, ents := t.entity()
	alias := strings.ReplaceAll(ent, " ", "_") + "_number"
	question := fill(g.one("For each {g}, number the {ents} sequentially by {o}.", "Give each {ent} a running number within its {g}, ordered by {o}.", "Sequence number of each {ent} per {g} (by {o}).", "Number rows within every {g} in {o} order.", "Within each {g}, count {ents} cumulatively by {o}."), "g", gc.Name, "ents", ents, "ent", ent, "o", o.Name)
	question += g.aliasNote(alias, 0.6)
	code := fmt.Sprintf("result = %s.sort(%s).with_columns(pl.col(%s).cum_count().over(%s).alias(%s))", t.Name, q(o.Name), q(o.Name), q(gc.Name), q(alias))
	return &draft{"window_functions", question, code, t1(t)}
}
