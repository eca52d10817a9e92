package answer

import "testing"

func TestNormalize(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "result = t.filter(pl.col(\"a\") > 1)", "result = t.filter(pl.col(\"a\") > 1)"},
		{"drops foreign imports, keeps polars", "import polars as pl\nimport os\nfrom datetime import date\nresult = t.head(3)\n",
			"import polars as pl\nresult = t.head(3)"},
		{"indented imports go too", "def f():\n    import os\n    return 1\nresult = t", "def f():\n    return 1\nresult = t"},
		{"lazy gets collected", "result = t.lazy().select(\"a\")",
			"result = t.lazy().select(\"a\")\nif isinstance(result, pl.LazyFrame):\n    result = result.collect()"},
		{"empty", "\n\n", ""},
		{"old API names", "result = t.groupby(\"a\").agg(pl.col(\"b\").cumsum()).sort(\"a\", reverse=True)",
			"result = t.group_by(\"a\").agg(pl.col(\"b\").cum_sum()).sort(\"a\", descending=True)"},
		{"pandas rolling", "result = t.with_columns(pl.col(\"a\").rolling(3).mean().over(\"g\"), pl.col(\"b\").rolling(window=2).sum())",
			"result = t.with_columns(pl.col(\"a\").rolling_mean(window_size=3).over(\"g\"), pl.col(\"b\").rolling_sum(window_size=2))"},
		{"pandas isin", `result = t.filter(pl.col("r").isin(["PG", "G"]))`, `result = t.filter(pl.col("r").is_in(["PG", "G"]))`},
		{"pandas names Polars lacks", `result = t.filter(pl.col("d").between(0.05, 0.07) & pl.col("n").notnull() & pl.col("m").isna()).select(pl.col("a").nunique(), pl.col("b").idxmax())`,
			`result = t.filter(pl.col("d").is_between(0.05, 0.07) & pl.col("n").is_not_null() & pl.col("m").is_null()).select(pl.col("a").n_unique(), pl.col("b").arg_max())`},
		{"one paren short", `result = t.filter((pl.col("a") > 1) & (pl.col("b").is_in(["x", "y"]))`,
			`result = t.filter((pl.col("a") > 1) & (pl.col("b").is_in(["x", "y"])))`},
		{"brackets inside strings and comments do not count", "result = t.filter(pl.col(\"a\") == \"(\") # )\n",
			"result = t.filter(pl.col(\"a\") == \"(\") # )"},
		{"a mismatched bracket is left alone", `result = t.select(pl.col("a"]`, `result = t.select(pl.col("a"]`},
		{"an open string is left alone", `result = t.filter(pl.col("a) > 1`, `result = t.filter(pl.col("a) > 1`},
		{"several open at the end", `result = t.agg([pl.col("a").sum(`, `result = t.agg([pl.col("a").sum()])`},
		{"pl.len takes no column", `result = t.group_by("b").agg(pl.len("l_loankey").alias("n"), pl.len().alias("m"), pl.col("x").len())`,
			`result = t.group_by("b").agg(pl.len().alias("n"), pl.len().alias("m"), pl.col("x").len())`},
		{"made-up boolean tests", `result = t.filter(pl.col("m").is_true() & pl.col("d").is_false())`, `result = t.filter(pl.col("m") & pl.col("d").not_())`},
		{"a comparison under & is grouped", `result = t.filter(pl.col("age") > 30 & pl.col("is_male"))`, `result = t.filter((pl.col("age") > 30) & pl.col("is_male"))`},
		{"every comparison of a chain, kept spacing", `result = t.filter(pl.col("d").str.slice(0, 4) == "2023" & (pl.col("x") >= 0.05) & pl.col("q") < 24)`,
			`result = t.filter((pl.col("d").str.slice(0, 4) == "2023") & (pl.col("x") >= 0.05) & (pl.col("q") < 24))`},
		{"| and nested groups", `result = t.with_columns(pl.when(pl.col("a") != "x" | pl.col("b") <= 2).then(1).otherwise(0).alias("f")).filter([pl.col("c") == 1 & pl.col("d")])`,
			`result = t.with_columns(pl.when((pl.col("a") != "x") | (pl.col("b") <= 2)).then(1).otherwise(0).alias("f")).filter([(pl.col("c") == 1) & pl.col("d")])`},
		{"keyword argument", `result = t.select(x=pl.col("a") > 1 & pl.col("b"))`, `result = t.select(x=(pl.col("a") > 1) & pl.col("b"))`},
		{"already grouped, strings with operators, shifts and lambdas left alone",
			"result = t.filter((pl.col(\"a\") > 1) & (pl.col(\"b\") == \"x & y > z\")).filter(pl.col(\"c\") >> 1 == 2 & pl.col(\"d\")).with_columns(pl.col(\"e\").map_elements(lambda v: v > 1 & v))",
			"result = t.filter((pl.col(\"a\") > 1) & (pl.col(\"b\") == \"x & y > z\")).filter(pl.col(\"c\") >> 1 == 2 & pl.col(\"d\")).with_columns(pl.col(\"e\").map_elements(lambda v: v > 1 & v))"},
		{"an argument with a comment is left alone", "result = t.filter(\n    pl.col(\"a\") > 1  # a > b & c\n    & pl.col(\"b\")\n)", "result = t.filter(\n    pl.col(\"a\") > 1  # a > b & c\n    & pl.col(\"b\")\n)"},
		{"top level and a comparison alone stay", "m = pl.col(\"a\") > 1 & pl.col(\"b\")\nresult = t.filter(pl.col(\"a\") > 1)", "m = pl.col(\"a\") > 1 & pl.col(\"b\")\nresult = t.filter(pl.col(\"a\") > 1)"},
		{"string methods without .str", `result = t.filter(pl.col("n").contains("A") | pl.col("n").str.starts_with("B") | pl.col("n").to_lowercase().ends_with("c"))`,
			`result = t.filter(pl.col("n").str.contains("A") | pl.col("n").str.starts_with("B") | pl.col("n").str.to_lowercase().str.ends_with("c"))`},
		{"keyless group_by is a select", "result = t.groupby().agg(pl.col(\"b\").sum())", "result = t.select(pl.col(\"b\").sum())"},
	}
	for _, c := range cases {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("%s: Normalize(%q)\n got %q\nwant %q", c.name, c.in, got, c.want)
		}
	}
}

func TestFallbackCode(t *testing.T) {
	if got := FallbackCode(nil); got != "result = pl.DataFrame()" {
		t.Errorf("no tables: %q", got)
	}
}
