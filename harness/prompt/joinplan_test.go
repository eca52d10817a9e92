package prompt

import (
	"strings"
	"testing"

	"polarsbench/datasets/core"
	"polarsbench/harness/schema"
)

// describeTask describes a dev task's tables from the built data.
func describeTask(t *testing.T, c *schema.Cache, task core.Task) []*schema.Table {
	t.Helper()
	var out []*schema.Table
	for _, tr := range task.Tables {
		tb, err := c.Describe(tr)
		if err != nil {
			t.Fatalf("%s: %v (run make data)", task.ID, err)
		}
		out = append(out, tb)
	}
	return out
}

func taskByID(t *testing.T, id string) core.Task {
	t.Helper()
	for _, task := range devTasks(t) {
		if task.ID == id {
			return task
		}
	}
	t.Fatalf("no dev task %s", id)
	return core.Task{}
}

// The chain starts at the fact table, follows every key once, and is what the
// organisers' gold code joins.
func TestPlanJoinsChains(t *testing.T) {
	c := schema.NewCache()
	for id, want := range map[string]string{
		"JOI09": `nw_order_details.join(nw_products, on="product_id").join(nw_categories, on="category_id")`,
		"JOI10": `tpch_orders.join(tpch_customer, left_on="o_custkey", right_on="c_custkey").join(tpch_nation, left_on="c_nationkey", right_on="n_nationkey")`,
		"JOI12": `sk_customers.join(sk_addresses, on="address_id").join(sk_cities, on="city_id").join(sk_countries, on="country_id")`,
	} {
		tables := describeTask(t, c, taskByID(t, id))
		plan := PlanJoins(tables, schema.JoinKeys(tables))
		if plan.Chain != want {
			t.Errorf("%s chain\n got %s\nwant %s", id, plan.Chain, want)
		}
	}
	// A self reference is offered as its own join.
	tables := describeTask(t, c, taskByID(t, "JOI14"))
	plan := PlanJoins(tables, schema.JoinKeys(tables))
	if plan.Chain != "" || len(plan.Extra) != 1 || plan.Extra[0] != `nw_employees.join(nw_employees, left_on="reports_to", right_on="employee_id")` {
		t.Errorf("self join plan %+v", plan)
	}
	// Clashing names are announced: tracks and genres both have "name".
	tables = describeTask(t, c, taskByID(t, "JOI02"))
	plan = PlanJoins(tables, schema.JoinKeys(tables))
	var b strings.Builder
	plan.Render(&b)
	if !strings.Contains(b.String(), "ck_genres.name -> name_right") {
		t.Errorf("rename not announced:\n%s", b.String())
	}
}

func TestLinkColumns(t *testing.T) {
	c := schema.NewCache()
	tables := describeTask(t, c, taskByID(t, "JOI01"))
	got := strings.Join(LinkColumns("Join products with categories to get category_name for each product.", tables), "; ")
	if !strings.Contains(got, "category_name: nw_categories") {
		t.Errorf("links %q", got)
	}
	tables = describeTask(t, c, taskByID(t, "JOI02"))
	got = strings.Join(LinkColumns("Join tracks with genres to get genre name for each track.", tables), "; ")
	if got != "name: ck_genres" {
		t.Errorf("generic column by its table's noun: %q", got)
	}
	if LinkColumns("category_name", tables[:1]) != nil {
		t.Error("one table needs no links")
	}
}

func TestRepairHints(t *testing.T) {
	c := schema.NewCache()
	tables := describeTask(t, c, taskByID(t, "JOI01"))
	plan := PlanJoins(tables, schema.JoinKeys(tables))
	for _, tc := range []struct{ err, want string }{
		{`ColumnNotFoundError: unable to find column "category_name"; valid columns: ["product_id"]`,
			`Column "category_name" is in nw_categories; join that table before using it. The join chain over these tables is:` + "\n" + `  nw_products.join(nw_categories, on="category_id")`},
		{`ColumnNotFoundError: unable to find column "colour"; valid columns: []`, `No table has a column "colour"`},
		{`ColumnNotFoundError: unable to find column "unit_price_right"`, `only a name that clashes in a join gets the suffix _right`},
		{`AttributeError: 'DataFrame' object has no attribute 'groupby'`, `Polars 1.x has no DataFrame.groupby: use group_by(...).agg(...).`},
		{`AttributeError: 'DataFrame' object has no attribute 'sort_values'`, `use sort(col, descending=...)`},
		{`DuplicateError: column with name 'unit_price_right' already exists`, `Column "unit_price_right" was created twice by a join`},
		{`SchemaError: datatypes of join keys don't match`, "The valid join keys are:\n  nw_products.join(nw_categories"},
	} {
		if got := RepairHint(tc.err, tables, plan); !strings.Contains(got, tc.want) {
			t.Errorf("%s\n got %q\nwant %q", tc.err, got, tc.want)
		}
	}
	if got := RepairHint("ZeroDivisionError: division by zero", tables, plan); got != "" {
		t.Errorf("nothing to add, got %q", got)
	}
}

// Leave-one-out by identity: the excluded id never comes back, nor a question
// with a few words appended to it (the experiment that scored 10/13 on its own
// gold answers).
func TestRetrieveExcludesByIDAndNearDuplicate(t *testing.T) {
	tasks := devTasks(t)
	b := BankFromTasks(tasks)
	for _, task := range tasks {
		names := tableNames(task)
		for _, q := range []string{task.Question, task.Question + " Join keys: a_id = b_id."} {
			for _, ex := range b.Retrieve(q, names, 75, task.ID) {
				if ex.ID == task.ID {
					t.Fatalf("%s retrieved itself for %q", task.ID, q)
				}
			}
		}
		// By text alone (the runner sends no id) the extended question still
		// misses itself, once it is long enough to be specific.
		if len(strings.Fields(Normalize(task.Question))) < minContainedWords {
			continue
		}
		for _, ex := range b.Retrieve(task.Question+" Join keys: a_id = b_id.", names, 75) {
			if ex.ID == task.ID {
				t.Fatalf("%s: near-identical question retrieved its own answer", task.ID)
			}
		}
	}
	if !NearDuplicate("count orders per customer in germany", "count orders per customer in germany please") {
		t.Error("extension not a near duplicate")
	}
	if NearDuplicate("count rows", "count rows per customer and country") {
		t.Error("a short question contained in a longer one is not the same question")
	}
}
