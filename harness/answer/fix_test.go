package answer

import (
	"context"
	"strings"
	"testing"

	"polarsbench/datasets/core"
	"polarsbench/harness/schema"
	"polarsbench/harness/worker"
)

func describe(t *testing.T, refs []core.TableRef) []*schema.Table {
	t.Helper()
	c := schema.NewCache()
	var out []*schema.Table
	for _, r := range refs {
		tb, err := c.Describe(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tb)
	}
	return out
}

const tracksColumns = `["track_id", "name", "album_id", "media_type_id", "genre_id", "composer", "milliseconds", "bytes", "unit_price"]`

// A column of a table the code never joined is joined in along the keys,
// through an intermediate table when there is no direct key.
func TestSchemaFixJoinsTheMissingColumn(t *testing.T) {
	tables := describe(t, devTables(t, "ck_tracks", "ck_albums", "ck_artists"))
	keys := schema.JoinKeys(tables)
	code := `result = ck_tracks.group_by("artist_id").agg(pl.len().alias("n"))`
	err := `ColumnNotFoundError: unable to find column "artist_id"; valid columns: ` + tracksColumns
	fixes := SchemaFixes(code, err, tables, keys)
	// artist_id is in ck_albums (one hop) and ck_artists (two hops): both are tried.
	want := map[string]bool{
		`result = ck_tracks.join(ck_albums, on="album_id").group_by("artist_id").agg(pl.len().alias("n"))`:                                  true,
		`result = ck_tracks.join(ck_albums, on="album_id").join(ck_artists, on="artist_id").group_by("artist_id").agg(pl.len().alias("n"))`: true,
	}
	if len(fixes) != len(want) {
		t.Fatalf("fixes %+v", fixes)
	}
	for _, f := range fixes {
		if !want[f.Code] || f.Why == "" {
			t.Errorf("unexpected fix %+v", f)
		}
	}
	// A frame that is not one table (already joined), a column no table has,
	// or a holder the code already uses: nothing to settle.
	for _, c := range []struct{ code, err string }{
		{code, `ColumnNotFoundError: unable to find column "artist_id"; valid columns: ["track_id", "title"]`},
		{code, `ColumnNotFoundError: unable to find column "artist_name"; valid columns: ` + tracksColumns},
		{`x = ck_albums` + "\n" + code, `ColumnNotFoundError: unable to find column "title"; valid columns: ` + tracksColumns},
		{code, `SyntaxError: invalid syntax`},
	} {
		if got := SchemaFixes(c.code, c.err, tables, keys); len(got) != 0 {
			t.Errorf("%q / %q: fixes %+v, want none", c.code, c.err, got)
		}
	}
}

// A column named as the question names it (entity_column, or the entity
// alone for its name) is that table's column, renamed where the table is used.
func TestSchemaFixRenamesAnEntityColumn(t *testing.T) {
	tables := describe(t, devTables(t, "ck_tracks", "ck_genres"))
	keys := schema.JoinKeys(tables)
	joined := `["track_id", "name", "album_id", "media_type_id", "genre_id", "composer", "milliseconds", "bytes", "unit_price", "name_right"]`
	for missing, want := range map[string]string{
		"genre_name": `result = ck_tracks.join(ck_genres.rename({"name": "genre_name"}), on="genre_id").select("name", "genre_name")`,
		"genre":      `result = ck_tracks.join(ck_genres.rename({"name": "genre"}), on="genre_id").select("name", "genre")`,
	} {
		code := `result = ck_tracks.join(ck_genres, on="genre_id").select("name", "` + missing + `")`
		fixes := SchemaFixes(code, `ColumnNotFoundError: unable to find column "`+missing+`"; valid columns: `+joined, tables, keys)
		if len(fixes) != 1 || fixes[0].Code != want || fixes[0].Why == "" {
			t.Errorf("%s: fixes %+v, want %q", missing, fixes, want)
		}
	}
	// No such column on the entity's table, a column a table has as it is
	// (a missing join, not a name), or an entity table the code never uses.
	for _, c := range []struct{ code, missing string }{
		{`result = ck_tracks.join(ck_genres, on="genre_id").select("genre_label")`, "genre_label"},
		{`result = ck_genres.select("genre_id", "media_type_id")`, "media_type_id"},
		{`result = ck_tracks.select("genre_name")`, "genre_name"},
	} {
		err := `ColumnNotFoundError: unable to find column "` + c.missing + `"; valid columns: ` + joined
		for _, f := range SchemaFixes(c.code, err, tables, keys) {
			if strings.Contains(f.Code, "rename(") {
				t.Errorf("%q: rename fix %+v, want none", c.code, f)
			}
		}
	}
}

// A made-up table name becomes the one question table it stands for.
func TestSchemaFixRenamesAMadeUpTable(t *testing.T) {
	tables := describe(t, devTables(t, "tpch_supplier", "tpch_nation"))
	for name, want := range map[string]string{"tpch_suppliers": "tpch_supplier", "supplier": "tpch_supplier", "nw_nations": "tpch_nation", "tpch_region": ""} {
		code := "result = " + name + `.filter(pl.col("tpch_suppliers") > 0)  # ` + name
		fixes := SchemaFixes(code, "NameError: name '"+name+"' is not defined", tables, nil)
		if want == "" {
			if len(fixes) != 0 {
				t.Errorf("%s: fixes %+v, want none", name, fixes)
			}
			continue
		}
		// Strings, comments and attributes keep the name.
		wantCode := "result = " + want + `.filter(pl.col("tpch_suppliers") > 0)  # ` + name
		if len(fixes) != 1 || fixes[0].Code != wantCode {
			t.Errorf("%s: fixes %+v, want %q", name, fixes, wantCode)
		}
	}
}

// fixPool fails code that uses ck_tracks without joining ck_albums the way
// Polars does, and runs everything else.
type fixPool struct{ ran []string }

func (p *fixPool) Exec(ctx context.Context, j worker.Job) (worker.Outcome, error) {
	p.ran = append(p.ran, j.Code)
	if !strings.Contains(j.Code, "join(ck_albums") {
		return worker.Outcome{ErrorKind: "runtime", Error: `ColumnNotFoundError: unable to find column "artist_id"; valid columns: ` + tracksColumns}, nil
	}
	return okPool{}.Exec(ctx, j)
}

// When no candidate ran, the schema fixes are executed and can answer,
// and no repair round is asked of the model.
func TestSolveAnswersWithASchemaFix(t *testing.T) {
	g := &recorder{text: `result = ck_tracks.group_by("artist_id").agg(pl.len())`}
	pool := &fixPool{}
	s := &Solver{Engine: g, Pool: pool, Schemas: schema.NewCache(), Settings: DefaultSettings()}
	s.Settings.Repair = true
	rec := s.Solve(context.Background(), "Tracks per artist.", devTables(t, "ck_tracks", "ck_albums"))
	if rec.Chosen < 0 || !strings.Contains(rec.Answer, `ck_tracks.join(ck_albums, on="album_id")`) || rec.Candidates[rec.Chosen].Fix == "" {
		t.Fatalf("answer %q chosen %d", rec.Answer, rec.Chosen)
	}
	if len(g.reqs) != 1 {
		t.Errorf("%d model requests; the fix should make the repair round unnecessary", len(g.reqs))
	}
	// Off: the model's repair round runs instead, and nothing is rewritten.
	g.reqs, pool.ran = nil, nil
	s.Settings.SchemaFix = false
	rec = s.Solve(context.Background(), "Tracks per artist.", devTables(t, "ck_tracks", "ck_albums"))
	if rec.Chosen >= 0 || len(g.reqs) != 2 {
		t.Errorf("schema_fix off: chosen %d, %d requests", rec.Chosen, len(g.reqs))
	}
}

// A column the frame has under another spelling is looked up under its own
// name: a _right suffix no clash produced, a short table prefix left out. An
// output name (alias) keeps its spelling.
func TestSchemaFixRespellsAColumn(t *testing.T) {
	valid := `["s_suppkey", "s_name", "s_nationkey", "n_name", "n_regionkey"]`
	for _, c := range []struct{ code, missing, want string }{
		{`result = df.select("s_name", pl.col("n_name_right").alias("nation"))`, "n_name_right",
			`result = df.select("s_name", pl.col("n_name").alias("nation"))`},
		{`result = df.filter(pl.col('regionkey') == 1).select(pl.len().alias("regionkey"))`, "regionkey",
			`result = df.filter(pl.col('n_regionkey') == 1).select(pl.len().alias("regionkey"))`},
		{`result = df.select("name")`, "name", ""},             // s_name or n_name: ambiguous
		{`result = df.select("suppkey_id")`, "suppkey_id", ""}, // nothing fits
	} {
		fixes := SchemaFixes(c.code, `ColumnNotFoundError: unable to find column "`+c.missing+`"; valid columns: `+valid, nil, nil)
		switch {
		case c.want == "" && len(fixes) != 0:
			t.Errorf("%s: fixes %+v, want none", c.missing, fixes)
		case c.want != "" && (len(fixes) != 1 || fixes[0].Code != c.want):
			t.Errorf("%s: fixes %+v, want %q", c.missing, fixes, c.want)
		}
	}
}

// Pandas-style column access (sk_films.rating) becomes pl.col("rating");
// methods, other tables' names and attributes that are no column stay.
func TestSchemaFixColumnAttributes(t *testing.T) {
	tables := describe(t, devTables(t, "sk_films"))
	for _, c := range []struct{ code, want string }{
		{`result = sk_films.filter(sk_films.rating == "R")`, `result = sk_films.filter(pl.col("rating") == "R")`},
		{`result = sk_films.filter((sk_films.length_min > 150) & (sk_films . rating == "PG"))`, `result = sk_films.filter((pl.col("length_min") > 150) & (pl.col("rating") == "PG"))`},
		{`result = sk_films.filter(sk_films.rating.is_in(["R"])).sort("title")`, `result = sk_films.filter(pl.col("rating").is_in(["R"])).sort("title")`},
	} {
		fixes := SchemaFixes(c.code, `AttributeError: 'DataFrame' object has no attribute 'rating'`, tables, nil)
		if len(fixes) != 1 || fixes[0].Code != c.want {
			t.Errorf("%s: fixes %+v, want %s", c.code, fixes, c.want)
		}
	}
	for _, code := range []string{
		`result = sk_films.filter(sk_films.height > 0)`, // a DataFrame property, not a column
		`result = other.filter(other.rating == "R")`,    // not a question table
		`result = sk_films.rating(3)`,                   // a call
	} {
		if fixes := SchemaFixes(code, `AttributeError: 'DataFrame' object has no attribute 'x'`, tables, nil); len(fixes) != 0 {
			t.Errorf("%s: fixes %+v, want none", code, fixes)
		}
	}
}

// A column missing from a frame that is already a join is joined in from the
// table the chain starts with.
func TestSchemaFixJoinsIntoAJoinedFrame(t *testing.T) {
	tables := describe(t, devTables(t, "sp_performance", "sp_singer", "sp_concert"))
	perf, singer := tables[0], tables[1]
	var valid []string
	seen := map[string]bool{}
	for _, c := range perf.Columns {
		valid, seen[c.Name] = append(valid, `"`+c.Name+`"`), true
	}
	for _, c := range singer.Columns {
		switch {
		case c.Name == "singer_id":
		case seen[c.Name]:
			valid = append(valid, `"`+c.Name+`_right"`)
		default:
			valid = append(valid, `"`+c.Name+`"`)
		}
	}
	code := `result = sp_performance.join(sp_singer, on="singer_id").select("name", "concert_name")`
	err := `ColumnNotFoundError: unable to find column "concert_name"; valid columns: [` + strings.Join(valid, ", ") + `]`
	fixes := SchemaFixes(code, err, tables, schema.JoinKeys(tables))
	want := `result = sp_performance.join(sp_concert, on="concert_id").join(sp_singer, on="singer_id").select("name", "concert_name")`
	if len(fixes) != 1 || fixes[0].Code != want {
		t.Errorf("fixes %+v, want %s", fixes, want)
	}
}

// A join on a key name only one side has becomes left_on/right_on from the
// key pair: prefixed keys name one column differently on each side.
func TestSchemaFixJoinOnAPrefixedKey(t *testing.T) {
	tables := describe(t, devTables(t, "tpch_orders", "tpch_customer"))
	keys := schema.JoinKeys(tables)
	for _, c := range []struct{ code, col, want string }{
		{`result = tpch_orders.join(tpch_customer, on="o_custkey").select("c_name")`, "o_custkey",
			`result = tpch_orders.join(tpch_customer, left_on="o_custkey", right_on="c_custkey").select("c_name")`},
		{`df = tpch_orders.filter(pl.col("o_totalprice") > 10)` + "\n" + `result = df.join(tpch_customer, on='c_custkey', how="left")`, "c_custkey",
			`df = tpch_orders.filter(pl.col("o_totalprice") > 10)` + "\n" + `result = df.join(tpch_customer, left_on="o_custkey", right_on="c_custkey", how="left")`},
		{`result = tpch_customer.join(tpch_orders, on="c_custkey")`, "c_custkey",
			`result = tpch_customer.join(tpch_orders, left_on="c_custkey", right_on="o_custkey")`},
	} {
		err := `ColumnNotFoundError: unable to find column "` + c.col + `"; valid columns: ["x"]`
		var got []string
		for _, f := range SchemaFixes(c.code, err, tables, keys) {
			if strings.HasPrefix(f.Why, "join ") {
				got = append(got, f.Code)
			}
		}
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%s: join fixes %q, want %s", c.code, got, c.want)
		}
	}
	// Another column, or a key both sides have: not this fix.
	for _, code := range []string{`result = tpch_orders.join(tpch_customer, on="o_custkey")`, `result = tpch_orders.join(tpch_customer, on="c_name")`} {
		for _, f := range SchemaFixes(code, `ColumnNotFoundError: unable to find column "c_phone"; valid columns: ["x"]`, tables, keys) {
			if strings.HasPrefix(f.Why, "join ") {
				t.Errorf("%s: unexpected %+v", code, f)
			}
		}
	}
}

// fixThatRuns runs code in a real worker, expects it to fail, and returns the
// schema fix whose reason starts with why, after checking that it runs.
func fixThatRuns(t *testing.T, pool *worker.Pool, refs []core.TableRef, code, why string) Fix {
	t.Helper()
	tables := describe(t, refs)
	out, err := pool.Exec(context.Background(), worker.Job{Tables: refs, Code: code})
	if err != nil || out.OK {
		t.Fatalf("%s: want a failure, got ok=%v err=%v", code, out.OK, err)
	}
	var found []Fix
	for _, f := range SchemaFixes(code, out.Error, tables, schema.JoinKeys(tables)) {
		if strings.HasPrefix(f.Why, why) {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s\nerror %s\nfixes %+v, want one %q", code, out.Error, found, why)
	}
	fixed, err := pool.Exec(context.Background(), worker.Job{Tables: refs, Code: found[0].Code})
	if err != nil || !fixed.OK {
		t.Fatalf("fix %s does not run: %v %s", found[0].Code, err, fixed.Error)
	}
	return found[0]
}

// Polars reads a bare string given to then()/otherwise() as a column name;
// the fix makes the outcomes literals, except a string that names a column.
func TestSchemaFixOutcomeStrings(t *testing.T) {
	pool := realPool(t)
	refs := devTables(t, "tpch_orders")
	code := `result = tpch_orders.with_columns(pl.when(pl.col("o_totalprice") > 10000).then("high").when(pl.col("o_orderstatus") == "F").then('o_orderstatus').otherwise("low").alias("c"))`
	f := fixThatRuns(t, pool, refs, code, "then/otherwise")
	want := `result = tpch_orders.with_columns(pl.when(pl.col("o_totalprice") > 10000).then(pl.lit("high")).when(pl.col("o_orderstatus") == "F").then('o_orderstatus').otherwise(pl.lit("low")).alias("c"))`
	if f.Code != want {
		t.Errorf("fix\n%s\nwant\n%s", f.Code, want)
	}
	// A missing column that is no outcome string: not this fix.
	tables := describe(t, refs)
	for _, g := range SchemaFixes(code, `ColumnNotFoundError: unable to find column "x"; valid columns: ["o_orderkey"]`, tables, nil) {
		if strings.HasPrefix(g.Why, "then/otherwise") {
			t.Errorf("unexpected %+v", g)
		}
	}
}

// Three tables with a name column: the second clash cannot make name_right
// again, so that join gets its entity as suffix and name_right keeps meaning
// the first clash (the artist's name here).
func TestSchemaFixSuffixesTheSecondClash(t *testing.T) {
	pool := realPool(t)
	refs := devTables(t, "ck_tracks", "ck_albums", "ck_artists", "ck_genres")
	code := `result = ck_tracks.join(ck_albums, on="album_id").join(ck_artists, on="artist_id").join(ck_genres, on="genre_id").group_by(pl.col("name_right").alias("artist")).agg(pl.len().alias("n"))`
	f := fixThatRuns(t, pool, refs, code, "suffix")
	if !strings.Contains(f.Code, `.join(ck_genres, on="genre_id", suffix="_genre")`) || !strings.Contains(f.Code, `.join(ck_artists, on="artist_id").`) {
		t.Errorf("fix %s", f.Code)
	}
	// A join that passes its own suffix is left alone.
	tables := describe(t, refs)
	own := strings.Replace(code, `on="genre_id")`, `on="genre_id", suffix="_right")`, 1)
	for _, g := range SchemaFixes(own, `DuplicateError: column with name 'name_right' already exists`, tables, nil) {
		if strings.HasPrefix(g.Why, "suffix") {
			t.Errorf("unexpected %+v", g)
		}
	}
}

// After join(left_on=a, right_on=b) Polars keeps only a: later uses of b
// read a, which holds the same values; the join's own right_on stays.
func TestSchemaFixRightKeyAfterTheJoin(t *testing.T) {
	pool := realPool(t)
	refs := devTables(t, "ck_customers", "ck_employees")
	code := `result = ck_customers.join(ck_employees, left_on="support_rep_id", right_on="employee_id").group_by("employee_id").agg(pl.len().alias("n"))`
	f := fixThatRuns(t, pool, refs, code, "column employee_id -> support_rep_id")
	want := `result = ck_customers.join(ck_employees, left_on="support_rep_id", right_on="employee_id").group_by("support_rep_id").agg(pl.len().alias("n"))`
	if f.Code != want {
		t.Errorf("fix\n%s\nwant\n%s", f.Code, want)
	}
}

// On a one-table question, a frame the code names that the question does not
// have (another table of the dataset, from an example) is that one table; a
// name inside a join is not (it would be a self-join), nor is any name when
// the question has several tables.
func TestSchemaFixTheOneTable(t *testing.T) {
	pool := realPool(t)
	refs := devTables(t, "nw_orders")
	code := `result = nw_order_details.with_columns(pl.col("order_date").str.slice(0, 4).alias("year"))`
	f := fixThatRuns(t, pool, refs, code, "table nw_order_details -> nw_orders")
	if f.Code != `result = nw_orders.with_columns(pl.col("order_date").str.slice(0, 4).alias("year"))` {
		t.Errorf("fix %s", f.Code)
	}
	err := `NameError: name 'nw_customers' is not defined`
	for _, c := range []struct {
		code   string
		tables []string
	}{
		{`result = nw_orders.join(nw_customers, on="customer_id")`, []string{"nw_orders"}},
		{`c = nw_customers.filter(pl.col("country") == "Germany")` + "\n" + `result = nw_orders.join(nw_customers, on="customer_id")`, []string{"nw_orders"}},
		{`result = nw_customers.select("customer_id")`, []string{"nw_orders", "nw_products"}},
	} {
		if got := SchemaFixes(c.code, err, describe(t, devTables(t, c.tables...)), nil); len(got) != 0 {
			t.Errorf("%s: fixes %+v, want none", c.code, got)
		}
	}
}
