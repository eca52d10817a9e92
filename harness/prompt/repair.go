package prompt

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"polarsbench/harness/schema"
)

var (
	missingColumnRe = regexp.MustCompile(`(?:ColumnNotFoundError|unable to find column)[^"']*["']([^"']+)["'](?:; valid columns: \[([^\]]*)\])?`)
	attributeRe     = regexp.MustCompile(`AttributeError: '(\w+)' object has no attribute '(\w+)'`)
	duplicateRe     = regexp.MustCompile(`DuplicateError: .*?["']([^"']+)["']`)
)

// polars1Names are the Polars 1.x spellings of names the model borrows from
// pandas or pre-1.0 Polars (the rewrite in answer.Normalize fixes the
// unambiguous ones; these need the model to restructure the code).
var polars1Names = map[string]string{
	"groupby":      "group_by(...).agg(...)",
	"apply":        "map_elements(...), or better an expression",
	"sort_values":  "sort(col, descending=...)",
	"reset_index":  "nothing: Polars has no index",
	"merge":        "join(other, on=..., how=...)",
	"rename_axis":  "rename({old: new})",
	"nlargest":     "sort(col, descending=True).head(n)",
	"nsmallest":    "sort(col).head(n)",
	"value_counts": "group_by(col).agg(pl.len().alias(\"count\"))",
	"iloc":         "row slicing: head(n), slice(offset, n), or filter",
	"loc":          "filter(...) and select(...)",
	"astype":       "cast(pl.Float64) and friends",
	"isin":         "is_in([...])",
	"isnull":       "is_null()",
	"notnull":      "is_not_null()",
	"count_rows":   "pl.len()",
	"cumsum":       "cum_sum()",
	"with_column":  "with_columns(...)",
	"dt":           "str.to_date() first: dates here are String columns",
	"year":         "str.slice(0, 4) on the date string, or str.to_date().dt.year()",
	"month":        "str.slice(5, 2) on the date string, or str.to_date().dt.month()",
	"lengths":      "str.len_chars()",
	"unique_count": "n_unique()",
	"rank":         "rank(method=..., descending=...) on an expression",
}

// RepairHint explains a failed run in terms of the question's tables, for the
// repair turn: where a missing column lives and how to join it in, the Polars
// 1.x name for a pandas or pre-1.0 call, the valid keys after a failed join.
// It returns "" when it has nothing to add to the error itself.
func RepairHint(errText string, tables []*schema.Table, plan JoinPlan) string {
	var hints []string
	if col, _, ok := MissingColumn(errText); ok {
		var holders []string
		for _, t := range tables {
			if _, ok := t.Column(col); ok {
				holders = append(holders, t.Ref.Name)
			}
		}
		switch {
		case len(holders) > 0:
			h := fmt.Sprintf("Column %q is in %s; join that table before using it.", col, strings.Join(holders, " and "))
			if plan.Chain != "" {
				h += " The join chain over these tables is:\n  " + plan.Chain
			}
			hints = append(hints, h)
		case strings.HasSuffix(col, "_right"):
			hints = append(hints, fmt.Sprintf("Column %q does not exist: only a name that clashes in a join gets the suffix _right.", col))
		default:
			hints = append(hints, fmt.Sprintf("No table has a column %q. The columns are:\n%s", col, columnList(tables)))
		}
	}
	if m := attributeRe.FindStringSubmatch(errText); m != nil {
		if to, ok := polars1Names[m[2]]; ok {
			hints = append(hints, fmt.Sprintf("Polars 1.x has no %s.%s: use %s.", m[1], m[2], to))
		}
	}
	if strings.Contains(errText, "DuplicateError") {
		h := "A join created a column name twice: pass suffix=\"_<something>\" to the later join, or select the needed columns before joining."
		if m := duplicateRe.FindStringSubmatch(errText); m != nil {
			h = fmt.Sprintf("Column %q was created twice by a join: pass suffix=\"_<something>\" to the later join, or select the needed columns before joining.", m[1])
		}
		hints = append(hints, h)
	}
	if strings.Contains(errText, "join") && (strings.Contains(errText, "SchemaError") || strings.Contains(errText, "datatypes of join keys don't match") || strings.Contains(errText, "ColumnNotFoundError")) {
		if keys := plan.keyList(); keys != "" {
			hints = append(hints, "The valid join keys are:\n"+keys)
		}
	}
	return strings.Join(hints, "\n")
}

// MissingColumn reads a Polars ColumnNotFoundError: the column asked for and,
// when the message lists them, the columns the frame had.
func MissingColumn(errText string) (col string, valid []string, ok bool) {
	m := missingColumnRe.FindStringSubmatch(errText)
	if m == nil {
		return "", nil, false
	}
	for _, part := range strings.Split(m[2], ",") {
		if p := strings.Trim(strings.TrimSpace(part), `"`); p != "" {
			valid = append(valid, p)
		}
	}
	return m[1], valid, true
}

func (p JoinPlan) keyList() string {
	var lines []string
	if p.Chain != "" {
		lines = append(lines, "  "+p.Chain)
	}
	for _, e := range p.Extra {
		lines = append(lines, "  "+e)
	}
	return strings.Join(lines, "\n")
}

func columnList(tables []*schema.Table) string {
	var lines []string
	for _, t := range tables {
		names := make([]string, 0, len(t.Columns))
		for _, c := range t.Columns {
			names = append(names, c.Name)
		}
		sort.Strings(names)
		lines = append(lines, fmt.Sprintf("  %s: %s", t.Ref.Name, strings.Join(names, ", ")))
	}
	return strings.Join(lines, "\n")
}
