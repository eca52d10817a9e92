package datasets

import (
	"fmt"
	"strings"
)

// Operations of the synthesis category "joins" (see ops in synth_ops.go).

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
	// one.semi(many): the "one" side rows that have at least one match.
	return oneSideJoin(g, "semi", "Find {ones} that have at least one {manys_s}.", "Semi join: which {ones} appear in {M}?", "List the {ones} with any matching {manys}.", "Keep only {ones} referenced by {M}.", "Which {ones} have one or more {manys}?")
}

func opAntiJoin(g *gen) *draft {
	return oneSideJoin(g, "anti", "Anti join: find {ones} that have no {manys}.", "Which {ones} never appear in {M}?", "List {ones} without any {manys}.", "Find {ones} with no matching row in {M}.", "Show the {ones} that have never had {manys}.")
}

// oneSideJoin drafts a semi or anti join (how) of the "one" side of a
// many-to-one link against its "many" side, asked with one of the templates.
func oneSideJoin(g *gen, how string, templates ...string) *draft {
	l, many, one, ok := g.pickLink(false)
	if !ok || l.LeftUnique {
		return nil
	}
	rev := link{Left: l.Right, LeftOn: l.RightOn, Right: l.Left, RightOn: l.LeftOn}
	_, ones := one.entity()
	_, manys := many.entity()
	question := fill(g.one(templates...),
		"ones", ones, "manys", manys, "manys_s", strings.TrimSuffix(manys, "s"), "M", many.Name)
	code := fmt.Sprintf("result = %s%s", one.Name, joinCode(rev, how))
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
		alias, round := sumOf(m)
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
