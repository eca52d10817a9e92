package datasets

import (
	"fmt"
	"strings"
)

// Operations of the synthesis category "select" (see ops in synth_ops.go).

func (g *gen) someColumns(t *tableProfile, k int) []*colProfile {
	if len(t.Columns) <= k {
		return nil
	}
	perm := g.r.Perm(len(t.Columns))[:k]
	out := make([]*colProfile, k)
	for i, p := range perm {
		out[i] = &t.Columns[p]
	}
	return out
}

func names(cs []*colProfile) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func opSelectCols(g *gen) *draft {
	t := g.randomTable(2)
	cs := g.someColumns(t, 2+g.r.IntN(2))
	if cs == nil {
		return nil
	}
	ent, ents := t.entity()
	ns := names(cs)
	question := fill(g.one("Show the {cols} of every {ent}.", "Select {cols} from {t}.", "List {cols} for all {ents}.", "Return only the columns {list}.", "Give me each {ent}'s {cols}.", "Keep just {cols} of the {ents}."),
		"cols", join(ns), "list", strings.Join(ns, ", "), "t", t.Name, "ent", ent, "ents", ents)
	return &draft{"select", question, fmt.Sprintf("result = %s.select(%s)", t.Name, quoteAll(ns)), t1(t)}
}

func opSelectFilter(g *gen) *draft {
	t := g.randomTable(5)
	cond := g.randomCondition(t, map[string]bool{})
	cs := g.someColumns(t, 2+g.r.IntN(2))
	if cond == nil || cs == nil {
		return nil
	}
	_, ents := t.entity()
	ns := names(cs)
	question := fill(g.one("For {ents} with {cond}, return {cols}.", "Show {cols} of {ents} with {cond}.", "List the {cols} of all {ents} with {cond}.", "Which {ents} have {cond}? Return {list}.", "Get {cols} for {ents} with {cond}."),
		"ents", ents, "cond", cond.words, "cols", join(ns), "list", strings.Join(ns, ", "))
	return &draft{"select", question, fmt.Sprintf("result = %s.filter(%s).select(%s)", t.Name, cond.code, quoteAll(ns)), t1(t)}
}

func opSelectRename(g *gen) *draft {
	t := g.randomTable(2)
	cs := g.someColumns(t, 2)
	if cs == nil {
		return nil
	}
	ent, _ := t.entity()
	newName := strings.ReplaceAll(ent, " ", "_") + "_" + base(cs[1].Name)
	if strings.HasPrefix(base(cs[1].Name), strings.ReplaceAll(ent, " ", "_")) {
		newName = "the_" + base(cs[1].Name)
	}
	question := fill(g.one("Select {a} and {b} from {t}, renaming {b} to {n}.", "Show {a} and {b} (as {n}) for every {ent}.", "Return {a} together with {b} renamed {n}.", "List each {ent}'s {a} and {b}; call the second column {n}.", "Get {a}, plus {b} under the name {n}."),
		"a", cs[0].Name, "b", cs[1].Name, "n", newName, "t", t.Name, "ent", ent)
	code := fmt.Sprintf("result = %s.select(%s, pl.col(%s).alias(%s))", t.Name, q(cs[0].Name), q(cs[1].Name), q(newName))
	return &draft{"select", question, code, t1(t)}
}
