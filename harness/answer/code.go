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
	// Made-up boolean tests (no Polars type has either name): a Boolean
	// column already is its own test.
	{regexp.MustCompile(`\.is_true\(\s*\)`), ""},
	{regexp.MustCompile(`\.is_false\(\s*\)`), ".not_()"},
	// String methods called on an expression without its .str namespace. Only
	// right after a call's ")" (pl.col("a").contains(...)): Python's own
	// strings have none of these names, but a variable might.
	{regexp.MustCompile(`\)\.(contains|starts_with|ends_with|to_date|to_datetime|strptime|len_chars|to_lowercase|to_uppercase)\(`), ").str.$1("},
	// pl.len() counts rows and takes no argument; pl.len("col") is a TypeError.
	{regexp.MustCompile(`\bpl\.len\(\s*(?:"[^"\n]*"|'[^'\n]*')\s*\)`), "pl.len()"},
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
	out = groupComparisons(out)
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
		case '#', '"', '\'':
			end, ok := literalEnd(code, i)
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

// closerOf returns the index of the bracket that closes the one at code[open],
// skipping strings and comments; -1 when it is never closed.
func closerOf(code string, open int) int {
	depth := 0
	for i := open; i < len(code); i++ {
		switch code[i] {
		case '#', '"', '\'':
			end, ok := literalEnd(code, i)
			if !ok {
				return -1
			}
			i = end
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// literalEnd returns the index of the last byte of the comment or string
// literal starting at code[i] (a '#' or a quote); ok is false for a string
// that never ends.
func literalEnd(code string, i int) (end int, ok bool) {
	if code[i] != '#' {
		return stringEnd(code, i)
	}
	for i+1 < len(code) && code[i+1] != '\n' {
		i++
	}
	return i, true
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

// groupComparisons puts parentheses around each comparison that is an operand
// of & or | inside a call's or a list's argument, as in
// filter(pl.col("age") > 30 & pl.col("is_male")) ->
// filter((pl.col("age") > 30) & pl.col("is_male")). Python binds & and |
// tighter than comparisons, so the code means pl.col("age") > (30 & is_male):
// it either fails (a string operand of & becomes a column name) or, worse,
// runs and filters on something else. Polars code never means that (it would
// be a bitwise and of a literal with a column). Arguments holding a lambda, a
// slice or dict colon, a walrus, a comment or Python's and/or/not/if are left
// alone.
// Code with mismatched brackets or an open string is returned as it is.
func groupComparisons(code string) string {
	if _, state := scanBrackets(code); state != bracketsOpen {
		return code
	}
	out, _ := rewriteGroups(code, 0, 0)
	return out
}

// rewriteGroups copies code from i up to the closer of the group it is in
// (0 at the top level), rewriting the arguments of every group inside it, and
// returns the copy and the index of the closer.
func rewriteGroups(code string, i int, closer byte) (string, int) {
	var b strings.Builder
	for ; i < len(code); i++ {
		switch c := code[i]; c {
		case '#', '"', '\'':
			end, ok := literalEnd(code, i)
			if !ok {
				end = len(code) - 1
			}
			b.WriteString(code[i : end+1])
			i = end
		case '(', '[', '{':
			inner, end := rewriteGroups(code, i+1, map[byte]byte{'(': ')', '[': ']', '{': '}'}[c])
			if c != '{' {
				inner = groupArguments(inner)
			}
			b.WriteByte(c)
			b.WriteString(inner)
			if end < len(code) {
				b.WriteByte(code[end])
			}
			i = end
		case ')', ']', '}':
			if c == closer {
				return b.String(), i
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), i
}

var (
	keywordArg    = regexp.MustCompile(`^\s*[A-Za-z_]\w*\s*=[^=]`)
	pythonLogical = regexp.MustCompile(`\b(lambda|and|or|not|if|else|for)\b`)
)

// groupArguments applies the grouping to each top-level argument of a group's text.
func groupArguments(inner string) string {
	var args []string
	start := 0
	for _, t := range topLevel(inner) {
		if t.op == "," {
			args = append(args, inner[start:t.at])
			start = t.at + 1
		}
	}
	args = append(args, inner[start:])
	for i, a := range args {
		prefix := ""
		if m := keywordArg.FindString(a); m != "" {
			prefix, a = m[:len(m)-1], a[len(m)-1:]
		}
		args[i] = prefix + groupArgument(a)
	}
	return strings.Join(args, ",")
}

// groupArgument parenthesizes the comparisons among the &/| operands of one argument.
func groupArgument(a string) string {
	toks := topLevel(a)
	var cuts []int
	compares := false
	for _, t := range toks {
		switch t.op {
		case "&", "|":
			cuts = append(cuts, t.at)
		case ":", ":=", "=":
			return a
		default:
			compares = compares || isComparison(t.op)
		}
	}
	if code := stripStrings(a); len(cuts) == 0 || !compares || pythonLogical.MatchString(code) || strings.Contains(code, "#") {
		return a
	}
	var b strings.Builder
	start := 0
	for _, end := range append(cuts, len(a)) {
		seg := a[start:end]
		if hasComparison(seg) {
			body := strings.TrimSpace(seg)
			lead := seg[:strings.Index(seg, body)]
			b.WriteString(lead + "(" + body + ")" + seg[len(lead)+len(body):])
		} else {
			b.WriteString(seg)
		}
		if end < len(a) {
			b.WriteByte(a[end])
		}
		start = end + 1
	}
	return b.String()
}

func hasComparison(seg string) bool {
	for _, t := range topLevel(seg) {
		if isComparison(t.op) {
			return true
		}
	}
	return false
}

// isComparison: topLevel's operators are comparisons but for these.
func isComparison(op string) bool {
	switch op {
	case "&", "|", ",", ":", ":=", "=":
		return false
	}
	return true
}

// operator is one operator token at the top level of a text (outside its
// brackets and strings): a comparison, &, |, a comma, a colon or an = sign.
type operator struct {
	op string
	at int
}

func topLevel(s string) []operator {
	var ops []operator
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '#' || c == '"' || c == '\'':
			end, ok := literalEnd(s, i)
			if !ok {
				return ops
			}
			i = end
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case depth > 0:
		case c == ',' || c == '&' || c == '|' || c == ':':
			op := string(c)
			if i+1 < len(s) && s[i+1] == '=' {
				op += "="
				i++
			}
			ops = append(ops, operator{op, i - len(op) + 1})
		case c == '=' || c == '!' || c == '<' || c == '>':
			if i+1 < len(s) && s[i+1] == c && (c == '<' || c == '>') {
				return append(ops, operator{":", i}) // << or >>: shifts, leave the argument alone
			}
			op := string(c)
			if i+1 < len(s) && s[i+1] == '=' {
				op += "="
				i++
			}
			if op == "!" {
				continue
			}
			ops = append(ops, operator{op, i - len(op) + 1})
		}
	}
	return ops
}

// stripStrings blanks string literals, so that words inside them are not read as code.
func stripStrings(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\'' {
			end, ok := stringEnd(s, i)
			if !ok {
				break
			}
			b.WriteString(`""`)
			i = end
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
