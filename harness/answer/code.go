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

// Normalize makes extracted code (prompt.ExtractCode has already bound the
// answer to `result` and dropped prints) self-contained as the contract asks:
// it imports nothing but polars, and a LazyFrame result is collected, since the
// runner rejects one. The pipeline executes exactly this text, so what is
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
	if lazyHint.MatchString(out) {
		out += "\nif isinstance(result, pl.LazyFrame):\n    result = result.collect()"
	}
	return out
}
