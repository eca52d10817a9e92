package datasets

import (
	"fmt"
	"strings"
	"unicode"
)

// Operations of the synthesis category "string_ops" (see ops in synth_ops.go).

// word picks an alphanumeric word (3+ letters) from a text column's samples.
func (g *gen) word(c *colProfile) string {
	s := c.Samples[g.r.IntN(len(c.Samples))]
	var words []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(w) >= 3 {
			words = append(words, w)
		}
	}
	w, _ := pickOne(g, words)
	return w
}

func (g *gen) textCol(minRows int) (*tableProfile, *colProfile) {
	t := g.randomTable(minRows)
	c, ok := pickOne(g, t.pick(func(c *colProfile) bool { return c.isText() }))
	if !ok {
		return nil, nil
	}
	return t, c
}

func opStrContains(g *gen) *draft {
	t, c := g.textCol(5)
	if t == nil {
		return nil
	}
	w := g.word(c)
	if w == "" {
		return nil
	}
	_, ents := t.entity()
	question := fill(g.one("Find {ents} whose {col} contains '{w}'.", "Which {ents} have \"{w}\" in their {col}?", "List {ents} with {col} containing {w}.", "Show rows of {t} where {col} includes the text {w}.", "Search {col} for '{w}' and return the matching {ents}."), "ents", ents, "col", c.Name, "w", w, "t", t.Name)
	return &draft{"string_ops", question, fmt.Sprintf("result = %s.filter(pl.col(%s).str.contains(%s))", t.Name, q(c.Name), q(w)), t1(t)}
}

func opStrStarts(g *gen) *draft {
	t, c := g.textCol(5)
	if t == nil {
		return nil
	}
	s := c.Samples[g.r.IntN(len(c.Samples))]
	n := 1 + g.r.IntN(3)
	if len(s) < n+1 || !isAlnum(s[:n]) {
		return nil
	}
	p := s[:n]
	_, ents := t.entity()
	if g.chance(0.5) {
		question := fill(g.one("Find {ents} whose {col} starts with '{p}'.", "Which {ents} have a {col} beginning with \"{p}\"?", "List {ents} with {col} starting with {p}.", "Show {ents} where {col} begins with '{p}'.", "Get all {ents} whose {col} has the prefix {p}."), "ents", ents, "col", c.Name, "p", p)
		return &draft{"string_ops", question, fmt.Sprintf("result = %s.filter(pl.col(%s).str.starts_with(%s))", t.Name, q(c.Name), q(p)), t1(t)}
	}
	e := s[len(s)-n:]
	if !isAlnum(e) {
		return nil
	}
	question := fill(g.one("Find {ents} whose {col} ends with '{e}'.", "Which {ents} have a {col} ending in \"{e}\"?", "List {ents} with {col} ending with {e}.", "Show {ents} where {col} finishes with '{e}'.", "Get all {ents} whose {col} has the suffix {e}."), "ents", ents, "col", c.Name, "e", e)
	return &draft{"string_ops", question, fmt.Sprintf("result = %s.filter(pl.col(%s).str.ends_with(%s))", t.Name, q(c.Name), q(e)), t1(t)}
}

func isAlnum(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return s != ""
}

func opStrLen(g *gen) *draft {
	t, c := g.textCol(5)
	if t == nil {
		return nil
	}
	n := int(c.AvgLen) + g.r.IntN(3) - 1
	_, ents := t.entity()
	if g.chance(0.5) {
		question := fill(g.one("Find {ents} whose {col} is longer than {n} characters.", "Which {ents} have a {col} of more than {n} characters?", "List {ents} with {col} length above {n}.", "Show {ents} where len({col}) > {n}.", "Get {ents} with a {col} over {n} chars."), "ents", ents, "col", c.Name, "n", fmt.Sprint(n))
		return &draft{"string_ops", question, fmt.Sprintf("result = %s.filter(pl.col(%s).str.len_chars() > %d)", t.Name, q(c.Name), n), t1(t)}
	}
	alias := base(c.Name) + "_length"
	question := fill(g.one("Add the length of {col} in characters.", "Compute the number of characters in each {col}.", "For every row of {t}, how long is the {col}?", "Add a column with len({col}).", "Measure the character length of {col}."), "col", c.Name, "t", t.Name)
	question += g.aliasNote(alias, 0.7)
	return &draft{"string_ops", question, fmt.Sprintf("result = %s.with_columns(pl.col(%s).str.len_chars().alias(%s))", t.Name, q(c.Name), q(alias)), t1(t)}
}

func opStrUpper(g *gen) *draft {
	t, c := g.textCol(5)
	if t == nil {
		return nil
	}
	other, ok := pickOne(g, t.pick(func(x *colProfile) bool { return x.isKey() && t.isUniqueCol(x) }))
	if !ok {
		return nil
	}
	up := g.chance(0.5)
	fn, word := "to_uppercase", "upper case"
	if !up {
		fn, word = "to_lowercase", "lower case"
	}
	alias := base(c.Name) + map[bool]string{true: "_upper", false: "_lower"}[up]
	question := fill(g.one("Return {id} and {col} in {w}.", "Show each {id} with its {col} converted to {w}.", "Select {id} and the {w} {col}.", "Convert {col} to {w}; keep {id}.", "List {id} together with {col} written in {w}."), "id", other.Name, "col", c.Name, "w", word)
	question += g.aliasNote(alias, 0.7)
	return &draft{"string_ops", question, fmt.Sprintf("result = %s.select(%s, pl.col(%s).str.%s().alias(%s))", t.Name, q(other.Name), q(c.Name), fn, q(alias)), t1(t)}
}

func opFirstLetter(g *gen) *draft {
	t, c := g.textCol(20)
	if t == nil {
		return nil
	}
	_, ents := t.entity()
	question := fill(g.one("Count {ents} by the first letter of {col}.", "How many {ents} start with each letter? Use {col}.", "Group {ents} by the initial of {col} and count them.", "Number of {ents} per first character of {col}.", "For each first letter of {col}, count the rows."), "ents", ents, "col", c.Name)
	question += g.aliasNote("first_letter, count", 0.6)
	code := fmt.Sprintf("result = %s.with_columns(pl.col(%s).str.slice(0, 1).alias(\"first_letter\")).group_by(\"first_letter\").agg(pl.len().alias(\"count\")).sort(\"first_letter\")", t.Name, q(c.Name))
	return &draft{"string_ops", question, code, t1(t)}
}
