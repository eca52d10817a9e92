package prompt

import (
	"fmt"
	"sort"
	"strings"

	"polarsbench/harness/schema"
)

// JoinPlan is how a question's tables fit together, derived from their data:
// a ready-to-copy join chain over every table, the joins it leaves out (a self
// reference, a second key to the same table), and the column names a join
// renames.
type JoinPlan struct {
	Chain   string   // nw_order_details.join(nw_products, on="product_id")...; "" when nothing joins
	Extra   []string // other joins, one expression each
	Renamed []string // "ck_genres.name -> name_right"
}

// PlanJoins orders the join keys into one chain. It starts at a table no
// other refers to (the fact table: order details, line items, rentals), ties
// going to the one referring to the most others, then to the larger table, and adds one table at a time through a key that
// touches what is joined so far.
func PlanJoins(tables []*schema.Table, keys []schema.JoinKey) JoinPlan {
	var plan JoinPlan
	byName := map[string]*schema.Table{}
	tables = present(tables)
	for _, t := range tables {
		byName[t.Ref.Name] = t
	}
	out, in := map[string]int{}, map[string]int{}
	for _, k := range keys {
		if k.Child != k.Parent {
			out[k.Child]++
			in[k.Parent]++
		}
	}
	if len(tables) > 1 && len(out) > 0 {
		root := ""
		for _, t := range tables {
			r := byName[root]
			n := t.Ref.Name
			if root == "" || in[n] < in[root] || in[n] == in[root] && (out[n] > out[root] || out[n] == out[root] && t.Rows > r.Rows) {
				root = t.Ref.Name
			}
		}
		joined := map[string]bool{root: true}
		cols := map[string]bool{}
		for _, c := range byName[root].Columns {
			cols[c.Name] = true
		}
		used := make([]bool, len(keys))
		var b strings.Builder
		b.WriteString(root)
		for progress := true; progress; {
			progress = false
			for i, k := range keys {
				if used[i] || k.Child == k.Parent || joined[k.Child] == joined[k.Parent] {
					continue
				}
				// Follow references out of what is joined first: child already joined.
				next, leftOn, rightOn := k.Parent, k.ChildOn, k.ParentOn
				if joined[k.Parent] {
					next, leftOn, rightOn = k.Child, k.ParentOn, k.ChildOn
				}
				if !cols[leftOn] {
					continue // the key was renamed by an earlier join
				}
				used[i], joined[next], progress = true, true, true
				suffix := "_right"
				for _, c := range byName[next].Columns {
					if c.Name != rightOn && cols[c.Name] && cols[c.Name+"_right"] {
						// A second clash on one name is a DuplicateError in Polars: name this table's.
						suffix = "_" + ShortName(next)
					}
				}
				b.WriteString(JoinCall(next, leftOn, rightOn, suffix))
				for _, c := range byName[next].Columns {
					switch {
					case c.Name == rightOn && leftOn == rightOn:
						// The shared key appears once.
					case c.Name == rightOn:
						// left_on/right_on: Polars drops the right key.
					case cols[c.Name]:
						plan.Renamed = append(plan.Renamed, fmt.Sprintf("%s.%s -> %s%s", next, c.Name, c.Name, suffix))
						cols[c.Name+suffix] = true
					default:
						cols[c.Name] = true
					}
				}
			}
		}
		if len(joined) > 1 {
			plan.Chain = b.String()
		}
		// Left out of the chain and worth showing: self references and a second
		// key between two tables (route -> airport by source and by destination).
		// A key between two tables the chain reaches otherwise adds nothing.
		pairUsed := map[[2]string]string{}
		for i, k := range keys {
			if used[i] {
				pairUsed[[2]string{k.Child, k.Parent}] = k.ChildOn
			}
		}
		for i, k := range keys {
			on, twice := pairUsed[[2]string{k.Child, k.Parent}]
			if !used[i] && (k.Child == k.Parent || twice && on != k.ChildOn) {
				plan.Extra = append(plan.Extra, k.Child+JoinCall(k.Parent, k.ChildOn, k.ParentOn, "_right"))
			}
		}
	} else {
		for _, k := range keys {
			if k.Child == k.Parent {
				plan.Extra = append(plan.Extra, k.Child+JoinCall(k.Parent, k.ChildOn, k.ParentOn, "_right"))
			}
		}
	}
	return plan
}

// JoinCall is the Polars call that joins table on the key pair: on= when the
// names agree; suffix only when it is not Polars' default.
func JoinCall(table, leftOn, rightOn, suffix string) string {
	s := ""
	if leftOn == rightOn {
		s = fmt.Sprintf(".join(%s, on=%q", table, leftOn)
	} else {
		s = fmt.Sprintf(".join(%s, left_on=%q, right_on=%q", table, leftOn, rightOn)
	}
	if suffix != "_right" {
		s += fmt.Sprintf(", suffix=%q", suffix)
	}
	return s + ")"
}

// ShortName is a table's name without its dataset prefix: genres for ck_genres.
func ShortName(table string) string {
	if _, rest, ok := strings.Cut(table, "_"); ok {
		return rest
	}
	return table
}

// Empty is true when the plan has nothing to show.
func (p JoinPlan) Empty() bool { return p.Chain == "" && len(p.Extra) == 0 }

// Render writes the plan for the prompt; nothing when there is no join.
func (p JoinPlan) Render(b *strings.Builder) {
	if p.Chain == "" && len(p.Extra) == 0 {
		return
	}
	b.WriteString("Join keys (checked on the data):\n")
	if p.Chain != "" {
		fmt.Fprintf(b, "  %s\n", p.Chain)
	}
	for _, e := range p.Extra {
		fmt.Fprintf(b, "  %s\n", e)
	}
	if len(p.Renamed) > 0 {
		fmt.Fprintf(b, "  After these joins: %s\n", strings.Join(p.Renamed, ", "))
	}
}

// LinkColumns maps the words of a question to the columns they name, for
// questions over several tables, where the model's commonest mistake is to
// use a column of another table without joining it. A column is named by its
// own name (category_name), the same with spaces (category name) or a plural
// (countries); a generic column (name, title) by its table's noun before it
// (genre name, artist's name). Each entry is "column: table, table".
func LinkColumns(question string, tables []*schema.Table) []string {
	tables = present(tables)
	if len(tables) < 2 {
		return nil
	}
	q := " " + strings.Join(strings.FieldsFunc(strings.ToLower(question), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	}), " ") + " "
	where := map[string][]string{}
	var order []string
	add := func(col, table string) {
		if _, ok := where[col]; !ok {
			order = append(order, col)
		}
		for _, t := range where[col] {
			if t == table {
				return
			}
		}
		where[col] = append(where[col], table)
	}
	for _, t := range tables {
		noun := strings.ToLower(ShortName(t.Ref.Name))
		nouns := []string{noun, Singular(noun)}
		for _, c := range t.Columns {
			name := strings.ToLower(c.Name)
			if genericColumn[name] {
				for _, n := range nouns {
					if strings.Contains(q, " "+n+" "+name+" ") || strings.Contains(q, " "+n+" s "+name+" ") {
						add(c.Name, t.Ref.Name)
					}
				}
				continue
			}
			if schema.KeyLike(name) && !strings.Contains(q, " "+name+" ") {
				continue // keys are in the join plan; only their exact name counts here
			}
			spaced := strings.ReplaceAll(name, "_", " ")
			for _, form := range []string{name, spaced, plural(spaced)} {
				if len(form) > 2 && strings.Contains(q, " "+form+" ") {
					add(c.Name, t.Ref.Name)
					break
				}
			}
		}
	}
	out := make([]string, 0, len(order))
	for _, col := range order {
		ts := where[col]
		sort.Strings(ts)
		out = append(out, col+": "+strings.Join(ts, ", "))
	}
	return out
}

// present drops the tables whose schema could not be read.
func present(tables []*schema.Table) []*schema.Table {
	out := make([]*schema.Table, 0, len(tables))
	for _, t := range tables {
		if t != nil {
			out = append(out, t)
		}
	}
	return out
}

// genericColumn names say nothing without their table.
var genericColumn = map[string]bool{"name": true, "title": true, "description": true}

// Singular undoes an English plural well enough for table and column words.
func Singular(w string) string {
	switch {
	case strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "xes"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}

func plural(w string) string {
	switch {
	case strings.HasSuffix(w, "y") && !strings.HasSuffix(w, "ey"):
		return w[:len(w)-1] + "ies"
	case strings.HasSuffix(w, "s"), strings.HasSuffix(w, "x"):
		return w + "es"
	}
	return w + "s"
}
