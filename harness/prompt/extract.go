package prompt

import (
	"regexp"
	"strings"
)

var (
	// A line that reloads a table would replace the runner's loaded DataFrame with a
	// read from a path the model guessed.
	reloadRe = regexp.MustCompile(`^\s*\w+\s*=\s*pl\.(read|scan)_\w+\(`)
	// Printing is useless to the judge and the runner reads the script's stdout.
	printRe  = regexp.MustCompile(`^(print|display)\(`)
	assignRe = regexp.MustCompile(`^([A-Za-z_]\w*)\s*=[^=]`)
	// A sentence of prose: capitalised words, no code punctuation.
	proseRe     = regexp.MustCompile(`^[A-Z][A-Za-z']*(\s+[A-Za-z0-9'",:;-]+){2,}[.:!]?$`)
	statementRe = regexp.MustCompile(`^(import|from|def|class|if|elif|else|for|while|with|try|except|finally|return|raise|assert|del|pass|@)\b`)
)

// ExtractCode turns the model's raw output into code, best effort: it takes
// the code block (the output normally continues AssistantPrefill, so it ends
// at the closing fence), drops prose lines around it, table reloads and
// prints, and makes sure the final value lands in `result`.
func ExtractCode(text string) string {
	code := codeBlock(strings.ReplaceAll(text, "\r\n", "\n"))
	var lines []string
	for _, l := range strings.Split(code, "\n") {
		if reloadRe.MatchString(l) || printRe.MatchString(l) {
			continue
		}
		lines = append(lines, strings.TrimRight(l, " \t"))
	}
	// Prose before or after the code, never inside it.
	for len(lines) > 0 && (lines[0] == "" || proseRe.MatchString(lines[0])) {
		lines = lines[1:]
	}
	for len(lines) > 0 && (lines[len(lines)-1] == "" || proseRe.MatchString(lines[len(lines)-1])) {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return ""
	}
	return ensureResult(lines)
}

// codeBlock picks the code out of the output. With the prefill the output is
// "code```..." ; a model that ignores it writes "prose ```python code ```".
func codeBlock(text string) string {
	t := strings.TrimLeft(text, " \t\n")
	if strings.HasPrefix(t, "```") {
		// The model repeated the opening fence: drop it with its language tag.
		if i := strings.IndexByte(t, '\n'); i >= 0 {
			t = t[i+1:]
		} else {
			return ""
		}
	}
	first, rest, fenced := strings.Cut(t, "```")
	if !fenced || strings.Contains(first, "result") {
		return first
	}
	// The first part has no result: prefer a later block that has one (prose, then code).
	blocks := strings.Split(rest, "```")
	for i := 0; i < len(blocks); i += 2 {
		b := blocks[i]
		if nl := strings.IndexByte(b, '\n'); nl >= 0 && !strings.Contains(b[:nl], "=") {
			b = b[nl+1:] // drop the language tag line
		}
		if strings.Contains(b, "result") {
			return b
		}
	}
	return first
}

// AssignedName is the name a line of code assigns with a plain "name = ...",
// or "" when it assigns none.
func AssignedName(line string) string {
	if m := assignRe.FindStringSubmatch(line); m != nil {
		return m[1]
	}
	return ""
}

// ensureResult binds the last top-level statement to result when the code
// does not: "df = ..." gets "result = df" after it; a bare expression becomes
// "result = <expression>".
func ensureResult(lines []string) string {
	last := -1
	for i, l := range lines {
		if l == "" || l[0] == ' ' || l[0] == '\t' || l[0] == '#' || strings.ContainsAny(l[:1], ").]}") {
			continue
		}
		if AssignedName(l) == "result" {
			return strings.Join(lines, "\n")
		}
		last = i
	}
	if last < 0 {
		return strings.Join(lines, "\n")
	}
	l := lines[last]
	switch name := AssignedName(l); {
	case name != "":
		lines = append(lines, "result = "+name)
	case !statementRe.MatchString(l):
		lines[last] = "result = " + l
	}
	return strings.Join(lines, "\n")
}
