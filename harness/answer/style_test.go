package answer

import (
	"context"
	"strings"
	"testing"

	"polarsbench/datasets/core"
	"polarsbench/harness/judge"
	"polarsbench/harness/prompt"
	"polarsbench/harness/schema"
	"polarsbench/harness/worker"
)

// styleBank: quantity is abbreviated qty by two examples; discount as disc by
// one only; revenue as rev by two but written in full by three; "total"
// aliases have two words in three examples; "avg" ones too, but one has three.
var styleBank = []prompt.Example{
	{ID: "q1", Question: "Total quantity per order.", Code: `result = t.group_by("o").agg(pl.col("l_quantity").sum().alias("total_qty"))`},
	{ID: "q2", Question: "Quantity minus the average quantity.", Code: `result = t.with_columns((pl.col("quantity") - pl.col("quantity").mean()).alias("qty_diff"))`},
	{ID: "d1", Question: "Average discount per flag.", Code: `result = t.group_by("f").agg(pl.col("l_discount").mean().alias("avg_disc"))`},
	{ID: "r1", Question: "Revenue per line.", Code: `result = t.with_columns((pl.col("p") * pl.col("q")).alias("line_rev"))`},
	{ID: "r2", Question: "Revenue per order.", Code: `result = t.group_by("o").agg(pl.col("revenue").sum().alias("total_rev"))`},
	{ID: "r3", Question: "Total revenue per category.", Code: `result = t.group_by("c").agg(pl.col("x").sum().alias("total_revenue"))`},
	{ID: "r4", Question: "Total revenue per nation.", Code: `result = t.group_by("n").agg(pl.col("x").sum().alias("revenue"))`},
	{ID: "r5", Question: "Monthly revenue.", Code: `result = t.group_by("m").agg(pl.col("x").sum().alias("monthly_revenue"))`},
	{ID: "a1", Question: "Average price per category.", Code: `result = t.group_by("c").agg(pl.col("price").mean().alias("avg_price"), pl.col("cost").mean().alias("avg_cost"))`},
	{ID: "a2", Question: "Average mpg per cylinders.", Code: `result = t.group_by("c").agg(pl.col("mpg").mean().alias("avg_mpg"))`},
	{ID: "a3", Question: "Average life expectancy per continent.", Code: `result = t.group_by("c").agg(pl.col("life_expectancy").mean().alias("avg_life_exp"))`},
	// "pct" is a word of a question here, so it is nobody's abbreviation.
	{ID: "p1", Question: "Share in pct of the percentage total.", Code: `result = t.with_columns((pl.col("percentage") * 100).alias("pct_of_total"))`},
	{ID: "p2", Question: "Percentage of the invoice.", Code: `result = t.with_columns((pl.col("percentage") * 100).alias("pct_of_invoice"))`},
	{ID: "x1", Question: "Average tax per flag.", Code: `result = t.group_by("l_returnflag").agg(pl.col("l_tax").mean().round(2).alias("avg_tax"))`},
}

func TestLearnStyle(t *testing.T) {
	st := LearnStyle(styleBank, nil)
	if st.Abbrev["quantity"] != "qty" {
		t.Errorf("quantity -> %q, want qty (two examples)", st.Abbrev["quantity"])
	}
	for _, w := range []string{"discount", "revenue", "percentage"} {
		if a, ok := st.Abbrev[w]; ok {
			t.Errorf("%s -> %q learned: one example only, the full word more often, or a question's word", w, a)
		}
	}
	if !st.TwoWord["total"] || st.TwoWord["avg"] {
		t.Errorf("two-word heads %v: want total (3 examples, never longer), not avg (avg_life_exp)", st.TwoWord)
	}
	// mean is named avg_ in 4 examples, never mean_; sum is total_ in 3 of 5 only.
	if st.FunctionHead["mean"] != "avg" || st.FunctionHead["sum"] != "" {
		t.Errorf("function heads %v: want mean -> avg only", st.FunctionHead)
	}
	// Three examples alias prefixed columns (l_quantity, l_discount, l_tax), none keeps the prefix.
	if !st.DropPrefix {
		t.Error("prefixes kept")
	}
	if LearnStyle(styleBank[:len(styleBank)-1], nil).DropPrefix {
		t.Error("prefixes dropped on the evidence of two examples")
	}
	// An alias that looks prefixed (n_orders) is no column: no evidence either way.
	made := append(append([]prompt.Example(nil), styleBank[:len(styleBank)-1]...), prompt.Example{ID: "n", Question: "Orders.", Code: `result = t.group_by("c").agg(pl.len().alias("n_orders"))`})
	if LearnStyle(made, nil).DropPrefix {
		t.Error("an alias counted as a prefixed column")
	}
	kept := append(append([]prompt.Example(nil), styleBank...), prompt.Example{ID: "k", Question: "Tax.", Code: `result = t.select(pl.col("l_tax").sum().alias("sum_l_tax"))`})
	if LearnStyle(kept, nil).DropPrefix {
		t.Error("prefixes dropped although an example keeps one")
	}
	// Leave-one-out: without q1 only one example abbreviates quantity.
	if a, ok := LearnStyle(styleBank[1:], nil).Abbrev["quantity"]; ok {
		t.Errorf("quantity -> %q learned from one example", a)
	}
	sources := map[string]bool{"replacement_cost": true, "p_bill_amount": true, "v_cost": true, "n_name": true}
	for _, c := range []struct{ alias, fn, want string }{
		{"total_order_quantity", "sum", "total_qty"},
		{"avg_unit_price", "mean", "avg_unit_price"},                // avg is no two-word head
		{"total_replacement_cost", "sum", "total_replacement_cost"}, // the head and a column
		{"total_bill_amount", "sum", "total_bill_amount"},           // the head and p_bill_amount
		{"total_quantity", "", "total_qty"},
		{"avg_v_cost", "mean", "avg_cost"},  // v_cost's prefix
		{"n_orders", "len", "n_orders"},     // n_ starts no column here
		{"mean_v_cost", "mean", "avg_cost"}, // mean's head
		{"mean_v_cost", "", "mean_cost"},    // not made by mean()
		{"sum_quantity", "sum", "sum_qty"},  // sum has no learned head
	} {
		if got := st.Name(c.alias, c.fn, sources); got != c.want {
			t.Errorf("Name(%s, %s) = %q, want %q", c.alias, c.fn, got, c.want)
		}
	}
}

func TestRestyle(t *testing.T) {
	st := LearnStyle(styleBank, nil)
	code := `result = t.group_by("o").agg(pl.col("l_quantity").sum().alias("total_quantity"), pl.col("v").sum().alias('total_order_value'), pl.col("l_tax").mean().round(2).alias("mean_l_tax")).sort("total_quantity")`
	got, renames := st.Restyle(code, "Total quantity and value per order.", []string{"o", "total_quantity", "total_order_value", "mean_l_tax"}, map[string]bool{"o": true, "l_quantity": true, "v": true, "l_tax": true})
	want := `result = t.group_by("o").agg(pl.col("l_quantity").sum().alias("total_qty"), pl.col("v").sum().alias('total_value'), pl.col("l_tax").mean().round(2).alias("avg_tax")).sort("total_qty")`
	if got != want || strings.Join(renames, "; ") != "total_quantity -> total_qty; total_order_value -> total_value; mean_l_tax -> avg_tax" {
		t.Fatalf("restyled\n%s\n%v\nwant\n%s", got, renames, want)
	}
	for _, c := range []struct{ why, code, question string }{
		{"the question names it", code, "Total quantity per order as total_quantity, and total_order_value."},
		{"a source column", `result = t.select(pl.col("total_quantity").alias("total_quantity"), pl.col("v").sum().alias("total_order_value"), pl.lit(1).alias("total_value"))`, "Totals."},
		{"not made by alias", `result = t.rename({"v": "total_order_value", "q": "total_quantity"})`, "Totals."},
	} {
		if got, renames := st.Restyle(c.code, c.question, []string{"total_quantity", "total_order_value", "total_value"}, map[string]bool{"total_quantity": true}); got != c.code || len(renames) != 0 {
			t.Errorf("%s: restyled to %s (%v)", c.why, got, renames)
		}
	}
}

// The solver answers with the renamed code when a real worker gives it the
// same values, and leaves the answer alone when leave-one-out takes the
// examples that taught the convention, or when the renamed code's values differ.
func TestSolveRestyles(t *testing.T) {
	code := `result = tpch_lineitem.group_by("l_returnflag").agg(pl.col("l_quantity").sum().alias("total_quantity"))`
	s := &Solver{Engine: oneAnswer{code}, Pool: realPool(t), Schemas: schema.NewCache(), Bank: prompt.NewBank(styleBank), Settings: DefaultSettings()}
	refs := devTables(t, "tpch_lineitem")
	rec := s.Solve(context.Background(), "Sum the quantity for each return flag.", refs)
	if want := strings.Replace(code, "total_quantity", "total_qty", 1); rec.Answer != want || rec.Style != "total_quantity -> total_qty" || rec.Candidates[rec.Chosen].Code != code {
		t.Fatalf("answer %q style %q error %q; want %q from the chosen %q", rec.Answer, rec.Style, rec.Error, want, code)
	}
	if rec = s.Solve(context.Background(), "Sum the quantity for each return flag.", refs, "q1"); rec.Answer != code || rec.Style != "" {
		t.Errorf("q1 left out: answer %q style %q; want the code as it is", rec.Answer, rec.Style)
	}
	s.Settings.Style = false
	if rec = s.Solve(context.Background(), "Sum the quantity for each return flag.", refs); rec.Answer != code {
		t.Errorf("style off: answer %q", rec.Answer)
	}
	// Values that are the code itself: the renamed code's differ while the
	// chosen code's are stable, so it is not kept.
	s = &Solver{Engine: oneAnswer{code}, Pool: &codeValuesPool{}, Schemas: schema.NewCache(), Bank: prompt.NewBank(styleBank), Settings: DefaultSettings()}
	if rec = s.Solve(context.Background(), "Sum the quantity for each return flag.", refs); rec.Answer != code || rec.Style != "" || !strings.Contains(rec.Error, "not kept") {
		t.Errorf("other values: answer %q style %q error %q", rec.Answer, rec.Style, rec.Error)
	}
	// Other values in a Float column only (a float sum's order): kept.
	s.Pool = &codeValuesPool{floatSum: true}
	if rec = s.Solve(context.Background(), "Sum the quantity for each return flag.", refs); rec.Style != "total_quantity -> total_qty" {
		t.Errorf("float noise: answer %q style %q error %q", rec.Answer, rec.Style, rec.Error)
	}
}

// A float sum over a group_by gives another last digit from run to run in a
// real worker: the rename is kept every time.
func TestSolveRestylesNoisyFloats(t *testing.T) {
	code := `result = tpch_lineitem.group_by("l_returnflag").agg(pl.col("l_extendedprice").sum().alias("total_quantity"))`
	s := &Solver{Engine: oneAnswer{code}, Pool: realPool(t), Schemas: schema.NewCache(), Bank: prompt.NewBank(styleBank), Settings: DefaultSettings()}
	for i := 0; i < 5; i++ {
		if rec := s.Solve(context.Background(), "Sum the extended price for each return flag.", devTables(t, "tpch_lineitem")); rec.Style != "total_quantity -> total_qty" {
			t.Fatalf("run %d: style %q error %q", i, rec.Style, rec.Error)
		}
	}
}

// codeValuesPool runs everything; the result's values are the code, its
// columns those of TestSolveRestyles' code: a String key, whose hash is the
// same for every code, and a sum, Int64 or (floatSum) Float64, whose hash is
// the code's.
type codeValuesPool struct{ floatSum bool }

func (p *codeValuesPool) Exec(ctx context.Context, j worker.Job) (worker.Outcome, error) {
	sum := "Int64"
	if p.floatSum {
		sum = "Float64"
	}
	return worker.Outcome{OK: true, Dtypes: []string{"String", sum}, Fingerprint: judge.Fingerprint{
		Hash: j.Code, Values: j.Code, Rows: 3, Cols: 2, Columns: []string{"l_returnflag", "total_quantity"}, ColumnValues: []string{"key", j.Code}}}, nil
}

// roundBank rounds its averages in four examples of five, each to its
// column's precision (amount, price and cost 2 digits, mpg 1: 2 digits
// explain only three); its one rounded sum of two is no convention.
var roundBank = []prompt.Example{
	{ID: "m1", Question: "Total and average amount per staff.", Code: `result = t.group_by("s").agg(pl.col("amount").mean().round(2).alias("avg_amount"), pl.col("amount").sum().round(2).alias("total"))`},
	{ID: "m2", Question: "Average mpg per cylinders.", Code: `result = t.group_by("c").agg(pl.col("mpg").mean().round(1).alias("avg_mpg"))`},
	{ID: "m3", Question: "Average price per category.", Code: `result = t.group_by("c").agg(pl.col("price").mean().round(2).alias("avg_price"))`},
	{ID: "m4", Question: "Average cost per rating.", Code: `result = t.group_by("r").agg(pl.col("cost").mean().round(2).alias("avg_cost"))`},
	{ID: "m5", Question: "Average tax per flag.", Code: `result = t.group_by("f").agg(pl.col("tax").mean().alias("avg_tax"))`},
	{ID: "s1", Question: "Total price.", Code: `result = t.select(pl.col("price").sum().alias("total_price"))`},
}

// roundDecimals is the precision of roundBank's columns.
func roundDecimals(ex prompt.Example, column string) (int, bool) {
	d, ok := map[string]int{"amount": 2, "mpg": 1, "price": 2, "cost": 2, "tax": 2}[column]
	return d, ok
}

func TestRounding(t *testing.T) {
	st := LearnStyle(roundBank, roundDecimals)
	if !st.Round["mean"] || st.Round["sum"] || !st.Precision {
		t.Fatalf("rounded functions %v, precision %v: want mean (4 of 5), not sum (1 of 2), to the column's precision (4 of 4, 2 digits 3)", st.Round, st.Precision)
	}
	if LearnStyle(roundBank[:2], roundDecimals).Round["mean"] {
		t.Error("mean rounded on the evidence of two examples")
	}
	unrounded := append(append([]prompt.Example(nil), roundBank...), prompt.Example{ID: "m6", Question: "Average weight.", Code: `result = t.select(pl.col("w").mean().alias("avg_w"))`})
	if LearnStyle(unrounded, roundDecimals).Round["mean"] {
		t.Error("mean rounded where 4 examples of 6 round it")
	}
	// Without the columns' precision (or where it does not explain the
	// digits) the commonest number of digits is the convention.
	if st := LearnStyle(roundBank, nil); st.Precision || st.Digits != 2 {
		t.Errorf("no precision known, 2 digits in 3 of 4: precision %v, digits %d; want 2 digits", st.Precision, st.Digits)
	}
	oneDigit := append(append([]prompt.Example(nil), roundBank...), prompt.Example{ID: "m7", Question: "Average weight.", Code: `result = t.select(pl.col("w").mean().round(1).alias("avg_w"))`})
	if st := LearnStyle(oneDigit, nil); st.Precision || st.Digits != 0 {
		t.Errorf("no precision known, 2 digits in 3 of 5: precision %v, digits %d; want neither", st.Precision, st.Digits)
	}
	decimals := map[string]int{"mpg": 1, "price": 2, "ratio": -1, "n": -1}
	for _, c := range []struct{ code, want, change string }{
		{`pl.col("mpg").mean().round(2).alias("avg_mpg")`, `pl.col("mpg").mean().round(1).alias("avg_mpg")`, "mpg mean: round(1)"},
		{`pl.col('mpg').mean().alias("m")`, `pl.col('mpg').mean().round(1).alias("m")`, "mpg mean: round(1)"},
		{`pl.col("price").mean().round( 2 ).alias("p")`, "", ""},      // already the column's precision
		{`pl.col("ratio").mean().alias("r")`, "", ""},                 // not rounded data
		{`pl.col("other").mean().alias("o")`, "", ""},                 // no column of the question's tables
		{`pl.col("price").sum().alias("p")`, "", ""},                  // sums are not rounded by convention
		{`(pl.col("mpg") - pl.col("mpg").mean()).alias("d")`, "", ""}, // not named right after the mean
	} {
		want := c.want
		if want == "" {
			want = c.code
		}
		got, changes := st.Rounding(c.code, "Average mpg per cylinders.", decimals)
		if got != want || strings.Join(changes, "; ") != c.change {
			t.Errorf("Rounding(%s) = %s %v, want %s %q", c.code, got, changes, want, c.change)
		}
	}
	for _, q := range []string{"Average mpg per cylinders. Round to 2 decimals.", "Average mpg, rounded.", "Average mpg with 2 decimal places."} {
		if got, changes := st.Rounding(decimalsCode, q, decimals); got != decimalsCode || len(changes) != 0 {
			t.Errorf("%q says how to round, yet rounded: %s %v", q, got, changes)
		}
	}
	// A fixed number of digits: every column of the question's tables, float or not.
	fixed := Style{Round: map[string]bool{"mean": true}, Digits: 2}
	if got, changes := fixed.Rounding(`pl.col("n").mean().alias("avg_n")`, "Average n.", decimals); got != `pl.col("n").mean().round(2).alias("avg_n")` || len(changes) != 1 {
		t.Errorf("fixed digits: %s %v", got, changes)
	}
	if got, _ := fixed.Rounding(decimalsCode, "Average mpg.", decimals); got != decimalsCode {
		t.Errorf("fixed digits changed round(2): %s", got)
	}
}

const decimalsCode = `pl.col("mpg").mean().round(2).alias("avg_mpg")`

// The solver rounds the chosen answer's average to the column's precision
// when the bank's examples round theirs so (read from their tables' files)
// and a real worker runs the rounded code to the same shape and keys.
func TestSolveRounds(t *testing.T) {
	refs := devTables(t, "sk_payments", "sp_car_data", "nw_products", "sk_films")
	bank := []prompt.Example{
		{ID: "p1", Question: "Average payment per staff member.", Code: `result = sk_payments.group_by("staff_id").agg(pl.col("amount").mean().round(2).alias("avg_amount"))`, Files: refs[:1]},
		{ID: "c1", Question: "Average acceleration per cylinders.", Code: `result = sp_car_data.group_by("cylinders").agg(pl.col("accelerate").mean().round(1).alias("avg_acc"))`, Files: refs[1:2]},
		{ID: "c2", Question: "Average horsepower per cylinders.", Code: `result = sp_car_data.group_by("cylinders").agg(pl.col("horsepower").mean().round(1).alias("avg_hp"))`, Files: refs[1:2]},
		{ID: "n1", Question: "Average price per category.", Code: `result = nw_products.group_by("category_id").agg(pl.col("unit_price").mean().round(2).alias("avg_price"))`, Files: refs[2:3]},
		{ID: "f1", Question: "Average replacement cost per rating.", Code: `result = sk_films.group_by("rating").agg(pl.col("replacement_cost").mean().round(2).alias("avg_cost"))`, Files: refs[3:4]},
	}
	code := `result = sp_car_data.group_by("cylinders").agg(pl.col("mpg").mean().round(2).alias("avg_mpg"))`
	s := &Solver{Engine: oneAnswer{code}, Pool: realPool(t), Schemas: schema.NewCache(), Bank: prompt.NewBank(bank), Settings: DefaultSettings()}
	rec := s.Solve(context.Background(), "Average mpg for each number of cylinders.", refs[1:2])
	if want := strings.Replace(code, "round(2)", "round(1)", 1); rec.Answer != want || rec.Style != "mpg mean: round(1)" {
		t.Fatalf("answer %q style %q error %q; want %q", rec.Answer, rec.Style, rec.Error, want)
	}
	// Leave-one-out by id: without c1 and c2, 2 digits (every one left)
	// explains as many examples as the precision: the answer keeps round(2).
	if rec = s.Solve(context.Background(), "Average mpg for each number of cylinders.", refs[1:2], "c1", "c2"); rec.Answer != code {
		t.Errorf("c1, c2 left out: answer %q style %q", rec.Answer, rec.Style)
	}
}

// The bundled dev bank, read as serve reads it, teaches averages rounded to
// their column's precision (5 of its 8 rounded averages; 2 digits 3, 1 digit 3).
func TestDevBankRoundsToPrecision(t *testing.T) {
	bank, err := LoadBank(nil)
	if err != nil {
		t.Fatal(err)
	}
	devTables(t, "sp_car_data") // the built tables the examples' files name
	s := &Solver{Schemas: schema.NewCache()}
	st := LearnStyle(bank.Others("Average mpg per number of cylinders."), s.columnDecimals)
	if !st.Round["mean"] || st.Round["sum"] || !st.Precision {
		t.Errorf("dev bank: rounded %v, precision %v, digits %d; want mean to the column's precision", st.Round, st.Precision, st.Digits)
	}
}

// An example whose file is missing (a server without the bundled tables)
// reads its columns from the question's table of the same name.
func TestColumnDecimalsByName(t *testing.T) {
	s := &Solver{Schemas: schema.NewCache()}
	ex := prompt.Example{Files: []core.TableRef{{Name: "sp_car_data", Path: "/nonexistent/sp_car_data.parquet", Format: "parquet"}}}
	if _, ok := s.columnDecimals(ex, "mpg"); ok {
		t.Fatal("precision known before any table of that name was read")
	}
	if _, err := s.Schemas.Describe(devTables(t, "sp_car_data")[0]); err != nil {
		t.Fatal(err)
	}
	if d, ok := s.columnDecimals(ex, "mpg"); !ok || d != 1 {
		t.Errorf("mpg: %d %v, want 1 from the question's sp_car_data", d, ok)
	}
}
