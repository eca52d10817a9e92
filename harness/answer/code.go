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
	// pandas' spellings; Polars 1.x has none of these names on any of its
	// types, so code that uses them could only fail.
	{regexp.MustCompile(`\.isin\(`), ".is_in("},
	{regexp.MustCompile(`\.between\(`), ".is_between("},
	{regexp.MustCompile(`\.nunique\(`), ".n_unique("},
	{regexp.MustCompile(`\.idx(max|min)\(`), ".arg_$1("},
	{regexp.MustCompile(`\.is(?:null|na)\(`), ".is_null("},
	{regexp.MustCompile(`\.not(?:null|na)\(`), ".is_not_null("},
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
	out = closeBrackets(out)
	if lazyHint.MatchString(out) {
		out += "\nif isinstance(result, pl.LazyFrame):\n    result = result.collect()"
	}
	return out
}

// closeBrackets appends the closing brackets the code leaves open at its end:
// the model often stops one ")" short of a long filter or chain, a syntax
// error the runner would reject. Code whose brackets are mismatched (a ")"
// closing a "[") or that ends inside a string is left as it is.
func closeBrackets(code string) string {
	open, state := scanBrackets(code)
	if state != bracketsOpen || len(open) == 0 {
		return code
	}
	closer := map[byte]byte{'(': ')', '[': ']', '{': '}'}
	var b strings.Builder
	b.WriteString(code)
	for i := len(open) - 1; i >= 0; i-- {
		b.WriteByte(closer[open[i]])
	}
	return b.String()
}

// What scanBrackets found at the end of the code.
const (
	bracketsOpen       = iota // every closer matched its opener; open holds the ones left open
	bracketsMismatched        // a closer met the wrong opener: a syntax error to leave to Python
	stringOpen                // the code ends inside a string literal
)

// scanBrackets reads Python code's brackets, skipping strings and comments,
// and returns the ones still open at the end, innermost last.
func scanBrackets(code string) (open []byte, state int) {
	pairs := map[byte]byte{')': '(', ']': '[', '}': '{'}
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '#':
			for i < len(code) && code[i] != '\n' {
				i++
			}
		case '"', '\'':
			end, ok := stringEnd(code, i)
			if !ok {
				return open, stringOpen
			}
			i = end
		case '(', '[', '{':
			open = append(open, c)
		case ')', ']', '}':
			if len(open) == 0 || open[len(open)-1] != pairs[c] {
				return open, bracketsMismatched
			}
			open = open[:len(open)-1]
		}
	}
	return open, bracketsOpen
}

// stringEnd returns the index of the last byte of the Python string literal
// opening at code[i] (a quote, possibly tripled); ok is false when the string
// never ends (or a one-line string meets a newline).
func stringEnd(code string, i int) (end int, ok bool) {
	quote := string(code[i])
	if strings.HasPrefix(code[i:], strings.Repeat(quote, 3)) {
		quote = strings.Repeat(quote, 3)
	}
	for j := i + len(quote); j < len(code); j++ {
		if code[j] == '\\' {
			j++
			continue
		}
		if len(quote) == 1 && code[j] == '\n' {
			return 0, false
		}
		if strings.HasPrefix(code[j:], quote) {
			return j + len(quote) - 1, true
		}
	}
	return 0, false
}
