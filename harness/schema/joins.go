package schema

import (
	"sort"
	"strings"
)

// JoinKey is one way to join two of a question's tables: Child.ChildOn holds
// values of Parent.ParentOn, a unique key. Child and Parent are the same table
// for a self-reference (reports_to -> employee_id).
type JoinKey struct {
	Child, ChildOn   string
	Parent, ParentOn string
	// ByValue is true when only the values tie the columns (support_rep_id ->
	// employee_id), not their names.
	ByValue bool
}

// Overlap thresholds of the join-key check. A named pair needs half of the
// child's distinct values among the parent's (dirty keys happen); a pair with
// no name affinity must be almost a subset, and the parent may hold at most
// maxByValueSpread times as many distinct values as the child: small integer
// ids are subsets of every larger id range (l_suppkey 1..100 of o_orderkey
// 1..1500), which a tight spread rules out.
const (
	minNamedOverlap   = 0.5
	minByValueOverlap = 0.95
	maxByValueSpread  = 5
	// maxSelfSpread: few employees are managers (30 rows, 5 distinct
	// reports_to), while a foreign id inside its own table's id range
	// (employee_id 1..9 among order_id 1..830) is far sparser.
	maxSelfSpread = 10
)

// KeyLike reports whether a column's name says it may be a key: it ends in
// id, key or code (customer_id, o_custkey, country_code) or is a reference
// such as reports_to. Whether it is one is for its values to show.
func KeyLike(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, "id") || strings.HasSuffix(n, "key") || strings.HasSuffix(n, "code") || strings.HasSuffix(n, "_to")
}

// JoinKeys finds the pairs of key columns that join the given tables, checked
// on their values. Pairs come in a stable order: by child table, then column.
func JoinKeys(tables []*Table) []JoinKey {
	var named, byValue, out []JoinKey
	hasNamed := map[[2]string]bool{} // child table, column: has a named parent
	for _, c := range tables {
		for _, cc := range c.Columns {
			if cc.keys == nil {
				continue
			}
			for _, p := range tables {
				for _, pc := range p.Columns {
					if !pc.Unique || (c == p && cc.Name == pc.Name) || !sameKind(cc, pc) {
						continue
					}
					if !nameAffine(cc.Name, pc.Name, p.Ref.Name) {
						continue
					}
					// Two unique columns of one name (1:1 tables) are one pair, not two.
					if cc.Unique && c != p && c.Ref.Name > p.Ref.Name && cc.Name == pc.Name {
						continue
					}
					if overlap(cc.keys, pc.keys) >= minNamedOverlap {
						named = append(named, JoinKey{Child: c.Ref.Name, ChildOn: cc.Name, Parent: p.Ref.Name, ParentOn: pc.Name})
						hasNamed[[2]string{c.Ref.Name, cc.Name}] = true
					}
				}
			}
		}
	}
	out = append(out, named...)
	// Columns with no named parent: a unique key that holds their values, its
	// own table's first, else the tightest.
	for _, c := range tables {
		for _, cc := range c.Columns {
			if cc.keys == nil || cc.Unique || hasNamed[[2]string{c.Ref.Name, cc.Name}] {
				continue
			}
			// A one-word key (shipper_id, l_partkey) names its own table, which is
			// simply not among these: small integer ids fall inside any other
			// table's id range, so its values prove nothing. A role (support_rep_id)
			// or a reference (reports_to) may point anywhere its values fit.
			role := !singleWordKey(cc.Name)
			var best *JoinKey
			bestN := 0
			for _, p := range tables {
				for _, pc := range p.Columns {
					spread := maxByValueSpread
					if p == c {
						if !hierarchical(cc.Name) {
							continue // track_id inside invoice_line_id's range is no reference
						}
						spread = maxSelfSpread
					} else if !role {
						continue
					}
					if !pc.Unique || !sameKind(cc, pc) || len(pc.keys) > spread*len(cc.keys) {
						continue
					}
					if overlap(cc.keys, pc.keys) < minByValueOverlap {
						continue
					}
					// A reference into its own table (reports_to -> employee_id) wins;
					// otherwise the tightest key.
					own, bestOwn := p == c, best != nil && best.Parent == c.Ref.Name
					if best == nil || own && !bestOwn || own == bestOwn && len(pc.keys) < bestN {
						best = &JoinKey{Child: c.Ref.Name, ChildOn: cc.Name, Parent: p.Ref.Name, ParentOn: pc.Name, ByValue: true}
						bestN = len(pc.keys)
					}
				}
			}
			if best != nil {
				byValue = append(byValue, *best)
			}
		}
	}
	// Values only connect what names cannot: a question's tables are meant to
	// be joined, so a by-value pair between tables the names already connect
	// (media_type_id -> genre_id beside genre_id) is a coincidence of small ids.
	group := map[string]string{}
	var find func(string) string
	find = func(t string) string {
		if g, ok := group[t]; ok && g != t {
			root := find(g)
			group[t] = root
			return root
		}
		return t
	}
	for _, k := range named {
		group[find(k.Child)] = find(k.Parent)
	}
	for _, k := range byValue {
		switch a, b := find(k.Child), find(k.Parent); {
		case k.Child == k.Parent:
			out = append(out, k) // a self reference is its own kind of join
		case a != b:
			group[a] = b
			out = append(out, k)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Child != out[j].Child {
			return out[i].Child < out[j].Child
		}
		return out[i].ChildOn < out[j].ChildOn
	})
	return out
}

// singleWordKey: the name is one word and a key suffix, behind at most a
// short table prefix: customer_id, l_partkey, custkey, id.
func singleWordKey(name string) bool {
	n := strings.ToLower(name)
	if rest, ok := StripShortPrefix(n); ok {
		n = rest
	}
	for _, suf := range []string{"_id", "_key", "_code", "id", "key", "code"} {
		if strings.HasSuffix(n, suf) {
			return !strings.Contains(strings.TrimSuffix(n, suf), "_")
		}
	}
	return false
}

// hierarchical: a column name that says its row points at another row of the
// same table (reports_to, manager_id, parent_id).
func hierarchical(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"reports", "manager", "mgr", "parent", "boss", "supervisor", "lead"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// nameAffine: the child column's name says it refers to the parent column.
// Equal names (category_id); the same name behind short table prefixes
// (o_custkey, c_custkey); a qualified name (dst_airport_id -> airport_id); and
// a bare key named after its table (country_code -> code of sp_world_country).
func nameAffine(child, parent, parentTable string) bool {
	c, p := strings.ToLower(child), strings.ToLower(parent)
	if c == p {
		return true
	}
	if cs, ok := StripShortPrefix(c); ok {
		if ps, ok := StripShortPrefix(p); ok && cs == ps {
			return true
		}
	}
	if !strings.HasSuffix(c, "_"+p) {
		return false
	}
	switch p {
	case "id", "key", "code":
		// Every *_id ends in "_id": the rest must name the parent's table.
		stem := strings.TrimSuffix(c, "_"+p)
		table := strings.ToLower(parentTable)
		return strings.Contains(table, stem) || strings.Contains(table, strings.TrimSuffix(stem, "s"))
	}
	return true
}

// StripShortPrefix drops a TPC-H style table prefix of one or two letters (o_, ps_).
func StripShortPrefix(name string) (string, bool) {
	i := strings.IndexByte(name, '_')
	if i < 1 || i > 2 || i == len(name)-1 {
		return "", false
	}
	return name[i+1:], true
}

func sameKind(a, b Column) bool {
	return (a.Type == "String") == (b.Type == "String")
}

// overlap is the share of a's values that b holds.
func overlap(a, b map[string]struct{}) float64 {
	if len(a) == 0 {
		return 0
	}
	n := 0
	for v := range a {
		if _, ok := b[v]; ok {
			n++
		}
	}
	return float64(n) / float64(len(a))
}
