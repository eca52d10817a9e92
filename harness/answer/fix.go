package answer

import (
	"fmt"
	"regexp"
	"strings"

	"polarsbench/harness/prompt"
	"polarsbench/harness/schema"
)

// Schema fixes are rewrites of a failed candidate that the error and the
// question's schemas determine, with no model call: the two commonest ways a
// whole question ends with no runnable candidate are a table name the model
// made up (tpch_suppliers for tpch_supplier, an example's table) and a column
// taken from a table that was never joined. Next comes a column named the way
// the question names it (genre_name for ck_genres' name). Each fix is executed
// like any candidate, so a wrong guess only costs a worker round trip.

var (
	undefinedNameRe = regexp.MustCompile(`NameError: name '(\w+)' is not defined`)
	noAttributeRe   = regexp.MustCompile(`AttributeError: 'DataFrame' object has no attribute '(\w+)'`)
	joinOnRe        = regexp.MustCompile(`\.join\(\s*(\w+)\s*,\s*on\s*=\s*["'](\w+)["']`)
	joinCallRe      = regexp.MustCompile(`\.join\(\s*(\w+)`)
	joinSideRe      = regexp.MustCompile(`\b(left_on|right_on)\s*=\s*["'](\w+)["']`)
	duplicateRe     = regexp.MustCompile(`DuplicateError: column with name '(\w+)_right' already exists`)
	trailingNameRe  = regexp.MustCompile(`\w+$`)
	// a bare string as a when/then outcome: Polars reads it as a column name
	outcomeStringRe = regexp.MustCompile(`\.(then|otherwise)\(\s*("[^"\\\n]*"|'[^'\\\n]*')\s*\)`)
)

// Fix is one rewritten candidate and what was changed.
type Fix struct {
	Code string
	Why  string
}

// SchemaFixes returns the rewrites of code, which failed with errText, that
// the question's tables and join keys make plausible; none when the error is
// of another kind or the schemas do not settle it.
func SchemaFixes(code, errText string, tables []*schema.Table, keys []schema.JoinKey) []Fix {
	var out []Fix
	if m := undefinedNameRe.FindStringSubmatch(errText); m != nil {
		if t := tableNamed(m[1], tables); t != "" {
			out = append(out, Fix{replaceName(code, m[1], t), fmt.Sprintf("table %s -> %s", m[1], t)})
		} else if t := onlyTableFor(code, m[1], tables); t != "" {
			out = append(out, Fix{replaceName(code, m[1], t), fmt.Sprintf("table %s -> %s, the question's one table", m[1], t)})
		}
	}
	if m := duplicateRe.FindStringSubmatch(errText); m != nil {
		if fixed, why := suffixClashingJoins(code, m[1], tables); why != "" {
			out = append(out, Fix{fixed, why})
		}
	}
	if m := noAttributeRe.FindStringSubmatch(errText); m != nil {
		if fixed, cols := columnsAsExpressions(code, tables); len(cols) > 0 {
			out = append(out, Fix{fixed, "table.column -> pl.col: " + strings.Join(cols, ", ")})
		}
	}
	if col, valid, ok := prompt.MissingColumn(errText); ok {
		if fixed, why := joinOnKeyPair(code, col, tables, keys); why != "" {
			out = append(out, Fix{fixed, why})
		}
		if fixed, why := leftKeyAfterJoin(code, col); why != "" {
			out = append(out, Fix{fixed, why})
		}
		if fixed, why := literalOutcomes(code, col, tables); why != "" {
			out = append(out, Fix{fixed, why})
		}
		if to := respelled(col, valid); to != "" {
			out = append(out, Fix{replaceColumn(code, col, to), fmt.Sprintf("column %s -> %s", col, to)})
		}
		if t, from := entityColumn(col, tables); t != nil && mentionsName(code, t.Ref.Name) {
			renamed := fmt.Sprintf("%s.rename({%q: %q})", t.Ref.Name, from, col)
			out = append(out, Fix{replaceName(code, t.Ref.Name, renamed), fmt.Sprintf("%s column %s renamed %s", t.Ref.Name, from, col)})
		}
		frame := tableWithColumns(tables, valid)
		if frame == nil {
			frame = joinedRoot(code, tables, valid)
		}
		if frame == nil {
			return out
		}
		for _, t := range tables {
			if t == frame || !hasColumn(t, col) || mentionsName(code, t.Ref.Name) {
				continue
			}
			if path := joinPath(frame, t, keys); path != "" {
				out = append(out, Fix{replaceName(code, frame.Ref.Name, frame.Ref.Name+path),
					fmt.Sprintf("%s joined for column %s", t.Ref.Name, col)})
			}
		}
	}
	return out
}

// joinOnKeyPair rewrites a join on one key name that only one side has,
// .join(t, on="col"), as left_on/right_on from the join key pair that links
// the two sides: prefixed keys name one thing differently on each side
// (l_bookkey, b_bookkey; o_custkey, c_custkey). When t lacks col, col is the
// left side's and t's column is its pair's; when t has it, the left side's is
// the pair's column on a table the code uses.
func joinOnKeyPair(code, col string, tables []*schema.Table, keys []schema.JoinKey) (string, string) {
	byName := tablesByName(tables)
	for _, m := range joinOnRe.FindAllStringSubmatchIndex(code, -1) {
		right, on := code[m[2]:m[3]], code[m[4]:m[5]]
		t := byName[right]
		if on != col || t == nil {
			continue
		}
		for _, k := range keys {
			// both orientations of the pair: t's side first, then the other side
			for _, side := range [][4]string{{k.Parent, k.ParentOn, k.Child, k.ChildOn}, {k.Child, k.ChildOn, k.Parent, k.ParentOn}} {
				tName, tOn, other, otherOn := side[0], side[1], side[2], side[3]
				if tName != right || other == right {
					continue
				}
				var leftOn, rightOn string
				switch {
				case !hasColumn(t, on) && otherOn == on:
					leftOn, rightOn = on, tOn
				case hasColumn(t, on) && tOn == on && otherOn != on && mentionsName(code, other):
					leftOn, rightOn = otherOn, on
				default:
					continue
				}
				fixed := code[:m[0]] + fmt.Sprintf(".join(%s, left_on=%q, right_on=%q", right, leftOn, rightOn) + code[m[1]:]
				return fixed, fmt.Sprintf("join %s on %s -> left_on %s, right_on %s", right, on, leftOn, rightOn)
			}
		}
	}
	return code, ""
}

// onlyTableFor is the question's one table, for an undefined name the code
// uses as a frame (name.method or the start of a chain) when the question has
// a single table: the model took another table of the dataset, most often from
// an example (nw_order_details for a question on nw_orders). A name inside a
// join's arguments is left alone: that would make a self-join.
func onlyTableFor(code, name string, tables []*schema.Table) string {
	if len(tables) != 1 {
		return ""
	}
	frame, inJoin := false, false
	scanNames(code, func(i, j int, n string, attr bool) {
		if n != name || attr {
			return
		}
		before := strings.TrimRight(code[:i], " \t\n")
		inJoin = inJoin || strings.HasSuffix(before, "join(") || strings.HasSuffix(before, ",")
		frame = frame || strings.HasPrefix(strings.TrimLeft(code[j:], " \t"), ".")
	}, func(int, int) {})
	if !frame || inJoin {
		return ""
	}
	return tables[0].Ref.Name
}

// suffixClashingJoins gives a suffix to every join after the first that
// brings in a column col the frame already has, the cause of Polars' "column
// with name 'col_right' already exists": the first clash makes col_right, the
// next one cannot. Each later clashing join gets its table's entity as suffix
// (ck_genres: name_genre), so col_right keeps meaning what the first clash
// made. Joins that pass a suffix already are left alone.
func suffixClashingJoins(code, col string, tables []*schema.Table) (string, string) {
	byName := tablesByName(tables)
	// the chain's first frame: the name right before the first join
	frameHas := true
	if m := joinCallRe.FindStringIndex(code); m != nil {
		if first := trailingNameRe.FindString(strings.TrimRight(code[:m[0]], " \t\n\\")); byName[first] != nil {
			frameHas = hasColumn(byName[first], col)
		}
	}
	clashes := 0
	var b strings.Builder
	var suffixed []string
	at := 0
	for _, m := range joinCallRe.FindAllStringSubmatchIndex(code, -1) {
		t := byName[code[m[2]:m[3]]]
		if t == nil || !hasColumn(t, col) {
			continue
		}
		if !frameHas {
			frameHas = true
			continue
		}
		if clashes++; clashes == 1 {
			continue
		}
		end := closerOf(code, m[0]+len(".join"))
		if end < 0 || strings.Contains(code[m[0]:end], "suffix") {
			continue
		}
		entity := prompt.Singular(prompt.ShortName(strings.ToLower(t.Ref.Name)))
		b.WriteString(code[at:end])
		fmt.Fprintf(&b, ", suffix=%q", "_"+entity)
		at = end
		suffixed = append(suffixed, t.Ref.Name)
	}
	if len(suffixed) == 0 {
		return code, ""
	}
	b.WriteString(code[at:])
	return b.String(), fmt.Sprintf("suffix on the join of %s: %s clashes", strings.Join(suffixed, ", "), col)
}

// leftKeyAfterJoin reads a missing column that a join took as its right key
// (left_on="support_rep_id", right_on="employee_id") as the left key: Polars
// keeps only the left key's column, with the same values, so later uses of
// the right key's name fail.
func leftKeyAfterJoin(code, col string) (string, string) {
	for _, m := range joinCallRe.FindAllStringSubmatchIndex(code, -1) {
		end := closerOf(code, m[0]+len(".join"))
		if end < 0 {
			continue
		}
		sides := map[string]string{}
		for _, s := range joinSideRe.FindAllStringSubmatch(code[m[0]:end], -1) {
			sides[s[1]] = s[2]
		}
		left, right := sides["left_on"], sides["right_on"]
		if right != col || left == "" || left == col {
			continue
		}
		rest := replaceColumn(code[end:], col, left)
		if rest == code[end:] {
			continue
		}
		return code[:end] + rest, fmt.Sprintf("column %s -> %s after the join on them", col, left)
	}
	return code, ""
}

// literalOutcomes wraps the bare strings of then()/otherwise() in pl.lit when
// the missing column is one of them: Polars reads a bare string there as a
// column name, so pl.when(...).then("high") fails (or, worse, picks a column).
// Strings that name a column of a question table stay as they are.
func literalOutcomes(code, col string, tables []*schema.Table) (string, string) {
	isColumn := func(name string) bool {
		for _, t := range tables {
			if hasColumn(t, name) {
				return true
			}
		}
		return false
	}
	hit := false
	fixed := outcomeStringRe.ReplaceAllStringFunc(code, func(call string) string {
		m := outcomeStringRe.FindStringSubmatch(call)
		value := m[2][1 : len(m[2])-1]
		if isColumn(value) {
			return call
		}
		hit = hit || value == col
		return fmt.Sprintf(".%s(pl.lit(%s))", m[1], m[2])
	})
	if !hit {
		return code, ""
	}
	return fixed, "then/otherwise strings -> pl.lit"
}

// columnsAsExpressions rewrites pandas-style column access on a table
// (sk_films.rating, Polars has no such attribute) as the expression
// pl.col("rating"), which is what a filter, select or with_columns on that
// table needs; a method call (sk_films.filter) is left alone, as is an
// attribute that is no column of that table.
func columnsAsExpressions(code string, tables []*schema.Table) (string, []string) {
	type token struct {
		i, j int
		name string
		attr bool
	}
	var toks []token
	scanNames(code, func(i, j int, n string, attr bool) { toks = append(toks, token{i, j, n, attr}) }, func(int, int) {})
	var b strings.Builder
	var cols []string
	at := 0
	for k := 0; k+1 < len(toks); k++ {
		t, c := toks[k], toks[k+1]
		if t.attr || !c.attr || strings.TrimSpace(code[t.j:c.i]) != "." {
			continue
		}
		if rest := strings.TrimLeft(code[c.j:], " \t"); strings.HasPrefix(rest, "(") {
			continue // a method
		}
		owner := false
		for _, tb := range tables {
			owner = owner || tb.Ref.Name == t.name && hasColumn(tb, c.name)
		}
		if !owner {
			continue
		}
		b.WriteString(code[at:t.i])
		fmt.Fprintf(&b, "pl.col(%q)", c.name)
		cols = append(cols, c.name)
		at = c.j
		k++
	}
	b.WriteString(code[at:])
	return b.String(), cols
}

// tableNamed is the one question table a made-up name stands for: the same
// name without a plural s, the same name under another dataset prefix
// (an example's tpch_orders for nw_orders), or the name without its prefix.
func tableNamed(name string, tables []*schema.Table) string {
	found := ""
	for _, t := range tables {
		n := t.Ref.Name
		if n == name {
			return "" // defined: the error is about something else
		}
		own := prompt.Singular(prompt.ShortName(strings.ToLower(n)))
		if own == prompt.Singular(prompt.ShortName(strings.ToLower(name))) || own == prompt.Singular(strings.ToLower(name)) {
			if found != "" {
				return "" // ambiguous
			}
			found = n
		}
	}
	return found
}

// entityColumn reads a missing column as a table's entity and one of its
// columns, the way a question names them: genre_name is ck_genres' name,
// airline_country sp_airline's country, and the entity alone (genre) its name
// or title. The code then works once that table's column carries the name, so
// the fix renames it where the table is used (which also keeps it from
// clashing in a join as name_right). nil when no table, or several, fit, or
// when a table has the column as it is (a join is missing, not a name).
func entityColumn(missing string, tables []*schema.Table) (*schema.Table, string) {
	var found *schema.Table
	from := ""
	for _, t := range tables {
		if hasColumn(t, missing) {
			return nil, ""
		}
		entity := prompt.Singular(prompt.ShortName(strings.ToLower(t.Ref.Name)))
		col := ""
		if rest, ok := strings.CutPrefix(missing, entity+"_"); ok && hasColumn(t, rest) {
			col = rest
		} else if missing == entity {
			for _, c := range []string{"name", "title"} {
				if hasColumn(t, c) {
					col = c
					break
				}
			}
		}
		if col == "" {
			continue
		}
		if found != nil {
			return nil, ""
		}
		found, from = t, col
	}
	return found, from
}

// respelled is the one column of the frame that a missing name means: the
// name without a join suffix that no clash produced (n_name_right for n_name),
// or with the table's short prefix the model left out (shipdate for
// l_shipdate); "" when none or several fit.
func respelled(missing string, valid []string) string {
	found := ""
	for _, v := range valid {
		rest, short := schema.StripShortPrefix(v)
		if v == strings.TrimSuffix(missing, "_right") || short && rest == missing {
			if found != "" {
				return ""
			}
			found = v
		}
	}
	if found == missing {
		return ""
	}
	return found
}

// replaceColumn rewrites the string literal naming column old as new, except
// where the code names an output that way (alias("old")): that is the
// answer's column name, not a lookup.
func replaceColumn(code, old, new string) string {
	var b strings.Builder
	scanNames(code, func(i, j int, _ string, _ bool) { b.WriteString(code[i:j]) }, func(i, j int) {
		lit := code[i:j]
		if (lit == `"`+old+`"` || lit == `'`+old+`'`) && !strings.HasSuffix(strings.TrimRight(code[:i], " "), "alias(") {
			lit = lit[:1] + new + lit[len(lit)-1:]
		}
		b.WriteString(lit)
	})
	return b.String()
}

// tableWithColumns is the table whose columns are exactly cols: the frame a
// failed expression ran on, read from Polars' "valid columns" list.
func tableWithColumns(tables []*schema.Table, cols []string) *schema.Table {
	want := map[string]bool{}
	for _, c := range cols {
		want[c] = true
	}
	for _, t := range tables {
		if len(t.Columns) == len(want) && columnsIn(t, want) {
			return t
		}
	}
	return nil
}

// joinedRoot is the table a joined frame (columns cols) started from: of the
// question tables the code uses whose columns the frame all has (the left
// side of a join keeps its names), the one the code names first. A join
// inserted right after it reaches the frame like the joins already there.
func joinedRoot(code string, tables []*schema.Table, cols []string) *schema.Table {
	have := map[string]bool{}
	for _, c := range cols {
		have[c] = true
	}
	var root *schema.Table
	first := len(code)
	for _, t := range tables {
		at := firstUse(code, t.Ref.Name)
		if at < 0 || at >= first {
			continue
		}
		if columnsIn(t, have) {
			root, first = t, at
		}
	}
	return root
}

// firstUse is the offset of the first use of the Python name in code, -1 when none.
func firstUse(code, name string) int {
	at := -1
	scanNames(code, func(i, _ int, n string, attr bool) {
		if at < 0 && n == name && !attr {
			at = i
		}
	}, func(int, int) {})
	return at
}

// columnsIn reports whether every column of t is in set.
func columnsIn(t *schema.Table, set map[string]bool) bool {
	for _, c := range t.Columns {
		if !set[c.Name] {
			return false
		}
	}
	return true
}

// tablesByName indexes the question's tables by their variable names.
func tablesByName(tables []*schema.Table) map[string]*schema.Table {
	byName := make(map[string]*schema.Table, len(tables))
	for _, t := range tables {
		byName[t.Ref.Name] = t
	}
	return byName
}

func hasColumn(t *schema.Table, name string) bool {
	_, ok := t.Column(name)
	return ok
}

// joinPath is the chain of joins (".join(...)...") from one table to another
// over the join keys, shortest first; "" when the keys do not connect them.
func joinPath(from, to *schema.Table, keys []schema.JoinKey) string {
	type step struct{ prev, call string }
	reached := map[string]step{from.Ref.Name: {}}
	queue := []string{from.Ref.Name}
	for len(queue) > 0 && reached[to.Ref.Name].call == "" {
		at := queue[0]
		queue = queue[1:]
		for _, k := range keys {
			next, leftOn, rightOn := "", "", ""
			switch {
			case k.Child == k.Parent:
				continue
			case k.Child == at:
				next, leftOn, rightOn = k.Parent, k.ChildOn, k.ParentOn
			case k.Parent == at:
				next, leftOn, rightOn = k.Child, k.ParentOn, k.ChildOn
			default:
				continue
			}
			if _, seen := reached[next]; seen {
				continue
			}
			reached[next] = step{at, prompt.JoinCall(next, leftOn, rightOn, "_right")}
			queue = append(queue, next)
		}
	}
	if reached[to.Ref.Name].call == "" {
		return ""
	}
	var calls []string
	for t := to.Ref.Name; t != from.Ref.Name; t = reached[t].prev {
		calls = append([]string{reached[t].call}, calls...)
	}
	return strings.Join(calls, "")
}

// replaceName rewrites every use of the Python name old (outside strings and
// comments, not an attribute after a dot) as new.
func replaceName(code, old, new string) string {
	var b strings.Builder
	scanNames(code, func(i, j int, name string, attr bool) {
		if name == old && !attr {
			b.WriteString(new)
		} else {
			b.WriteString(code[i:j])
		}
	}, func(i, j int) { b.WriteString(code[i:j]) })
	return b.String()
}

// mentionsName reports whether code uses the Python name (outside strings).
func mentionsName(code, name string) bool { return firstUse(code, name) >= 0 }

// scanNames walks code, calling name for each identifier (attr: it follows a
// dot) and other for every other span, strings and comments included, so the
// two together see every byte once.
func scanNames(code string, name func(i, j int, n string, attr bool), other func(i, j int)) {
	isStart := func(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isPart := func(c byte) bool { return isStart(c) || c >= '0' && c <= '9' }
	for i := 0; i < len(code); {
		c := code[i]
		switch {
		case isStart(c):
			j := i
			for j < len(code) && isPart(code[j]) {
				j++
			}
			k := i - 1
			for k >= 0 && (code[k] == ' ' || code[k] == '\t') {
				k--
			}
			name(i, j, code[i:j], k >= 0 && code[k] == '.')
			i = j
		case c == '"' || c == '\'':
			end, ok := stringEnd(code, i)
			if !ok {
				end = len(code) - 1
			}
			other(i, end+1)
			i = end + 1
		case c == '#':
			j := strings.IndexByte(code[i:], '\n')
			if j < 0 {
				j = len(code) - i
			}
			other(i, i+j)
			i += j
		case c >= '0' && c <= '9':
			j := i
			for j < len(code) && isPart(code[j]) {
				j++
			}
			other(i, j)
			i = j
		default:
			other(i, i+1)
			i++
		}
	}
}
