package answer

import (
	"regexp"
	"strings"
)

var (
	importLine   = regexp.MustCompile(`^\s*(import\s+\S|from\s+\S+\s+import\s)`)
	polarsImport = regexp.MustCompile(`^\s*(import\s+polars(\s+as\s+pl)?\s*$|from\s+polars\s+import\s)`)
	lazyHint     = regexp.MustCompile(`\.lazy\(|LazyFrame|scan_(parquet|csv)`)
)

// renames are pre-1.0 Polars names the model still writes. Each fails in the
// runner's polars 1.39 with an AttributeError or TypeError, so rewriting them
// only rescues candidates that would otherwise be lost.
var renames = []struct {
	from *regexp.Regexp
	to   string
}{
	{regexp.MustCompile(`\.groupby\(`), ".group_by("},
	{regexp.MustCompile(`\.group_by\(\s*\)\.agg\(`), ".select("}, // no keys: a global aggregate
	{regexp.MustCompile(`\.with_column\(`), ".with_columns("},
	{regexp.MustCompile(`\.cum(sum|count|max|min|prod)\(`), ".cum_$1("},
	{regexp.MustCompile(`\breverse\s*=\s*(True|False)`), "descending=$1"},
	{regexp.MustCompile(`\.str\.lengths\(`), ".str.len_chars("},
	{regexp.MustCompile(`\.str\.n_chars\(`), ".str.len_chars("},
	// rolling(3).mean() is the pandas spelling; Polars 1.x wants rolling_mean(window_size=3).
	{regexp.MustCompile(`\.rolling\(\s*(?:window(?:_size)?\s*=\s*)?(\d+)\s*\)\.(mean|sum|min|max|std|median)\(\)`), ".rolling_$2(window_size=$1)"},
}

// Normalize makes extracted code (prompt.ExtractCode has already bound the
// answer to `result` and dropped prints) self-contained as the contract asks:
// it imports nothing but polars, pre-1.0 API names become their 1.x names, and
// a LazyFrame result is collected, since the runner rejects one. The pipeline executes exactly this text, so what is
// voted on is what is returned.
func Normalize(code string) string {
	var kept []string
	for _, line := range strings.Split(code, "\n") {
		if importLine.MatchString(line) && !polarsImport.MatchString(line) {
			continue
		}
		kept = append(kept, line)
	}
	out := strings.TrimSpace(strings.Join(kept, "\n"))
	for _, r := range renames {
		out = r.from.ReplaceAllString(out, r.to)
	}
	if lazyHint.MatchString(out) {
		out += "\nif isinstance(result, pl.LazyFrame):\n    result = result.collect()"
	}
	return out
}
