package schema

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"polarsbench/datasets/core"
	"polarsbench/harness/repo"
)

// describeDataset describes every built table of one dataset prefix (nw, ck, ...).
func describeDataset(t *testing.T, c *Cache, prefix string) []*Table {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(repo.DataDir(), prefix+"_*.parquet"))
	if len(files) == 0 {
		t.Fatalf("no built %s_* tables in %s: run make data", prefix, repo.DataDir())
	}
	sort.Strings(files)
	var out []*Table
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".parquet")
		tb, err := c.Describe(core.TableRef{Name: name, Path: f, Format: "parquet"})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tb)
	}
	return out
}

func keyString(k JoinKey) string {
	return k.Child + "." + k.ChildOn + "->" + k.Parent + "." + k.ParentOn
}

// Join keys over all 59 tables, one dataset at a time (every question's tables
// come from one dataset): the true pairs, differently named ones included, and
// no pair from a coincidental name.
func TestJoinKeysAllTables(t *testing.T) {
	if _, err := os.Stat(repo.DataDir()); err != nil {
		t.Fatalf("built tables missing (%v): run make data", err)
	}
	c := NewCache()
	found := map[string]bool{}
	total := 0
	for _, prefix := range []string{"nw", "ck", "sk", "tpch", "sp"} {
		for _, k := range JoinKeys(describeDataset(t, c, prefix)) {
			found[keyString(k)] = true
			total++
			for _, bad := range []string{"name", "title", "description", "country", "city"} {
				if strings.EqualFold(k.ChildOn, bad) || strings.EqualFold(k.ParentOn, bad) {
					t.Errorf("coincidental pair %s", keyString(k))
				}
			}
		}
	}
	want := []string{
		"nw_products.category_id->nw_categories.category_id",
		"nw_orders.customer_id->nw_customers.customer_id",
		"nw_order_details.product_id->nw_products.product_id",
		"nw_employees.reports_to->nw_employees.employee_id",
		"ck_customers.support_rep_id->ck_employees.employee_id",
		"ck_tracks.genre_id->ck_genres.genre_id",
		"tpch_orders.o_custkey->tpch_customer.c_custkey",
		"tpch_lineitem.l_orderkey->tpch_orders.o_orderkey",
		"tpch_partsupp.ps_suppkey->tpch_supplier.s_suppkey",
		"tpch_customer.c_nationkey->tpch_nation.n_nationkey",
		"sp_route.dst_airport_id->sp_airport.airport_id",
		"sp_route.src_airport_id->sp_airport.airport_id",
		"sp_world_city.country_code->sp_world_country.code",
		"sk_film_category.category_id->sk_categories.category_id",
	}
	for _, w := range want {
		if !found[w] {
			t.Errorf("missing %s", w)
		}
	}
	if t.Failed() {
		keys := make([]string, 0, len(found))
		for k := range found {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Logf("found %d pairs:\n%s", total, strings.Join(keys, "\n"))
	}
}

// A pair must hold on the data, not only in the names: a key column whose
// values are not among the parent's is no join.
func TestJoinKeysNeedOverlap(t *testing.T) {
	parent := &Table{Ref: core.TableRef{Name: "p"}, Rows: 3, Columns: []Column{
		{Name: "item_id", Type: "Int64", Unique: true, keys: set("1", "2", "3")},
	}}
	child := &Table{Ref: core.TableRef{Name: "c"}, Rows: 4, Columns: []Column{
		{Name: "item_id", Type: "Int64", keys: set("7", "8", "9")},
	}}
	if ks := JoinKeys([]*Table{child, parent}); len(ks) != 0 {
		t.Fatalf("pair without overlap: %+v", ks)
	}
	child.Columns[0].keys = set("1", "2")
	if ks := JoinKeys([]*Table{child, parent}); len(ks) != 1 || keyString(ks[0]) != "c.item_id->p.item_id" {
		t.Fatalf("got %+v", ks)
	}
}

func set(vs ...string) map[string]struct{} {
	m := map[string]struct{}{}
	for _, v := range vs {
		m[v] = struct{}{}
	}
	return m
}

// Within a question's own tables, a key whose table is absent must not be
// tied to another table's ids by value (shipper_id -> category_id,
// l_partkey -> c_custkey, customer_id -> film_id were, before the rule).
func TestJoinKeysWithoutTheirTable(t *testing.T) {
	c := NewCache()
	by := map[string]*Table{}
	for _, prefix := range []string{"nw", "tpch", "sk", "ck"} {
		for _, tb := range describeDataset(t, c, prefix) {
			by[tb.Ref.Name] = tb
		}
	}
	for _, names := range [][]string{
		{"nw_order_details", "nw_products", "nw_categories", "nw_orders", "nw_customers"},
		{"tpch_lineitem", "tpch_orders", "tpch_customer", "tpch_nation", "tpch_region"},
		{"sk_rentals", "sk_inventory", "sk_films", "sk_film_category", "sk_categories"},
		{"ck_invoice_lines", "ck_invoices", "ck_customers", "ck_employees"},
	} {
		var tables []*Table
		for _, n := range names {
			tables = append(tables, by[n])
		}
		for _, k := range JoinKeys(tables) {
			if k.ByValue && !(k.ChildOn == "support_rep_id" || k.ChildOn == "reports_to") {
				t.Errorf("%v: false pair by value %s", names, keyString(k))
			}
		}
	}
}
