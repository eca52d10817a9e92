package datasets

import (
	"fmt"
	"strings"

	"polarsbench/datasets/core"
)

// colProfile is what the generator knows about one column (from synth_helper.py).
type colProfile struct {
	Name    string    `json:"name"`
	Dtype   string    `json:"dtype"`
	Nulls   int       `json:"nulls"`
	NUnique int       `json:"n_unique"`
	Min     float64   `json:"min"`
	Max     float64   `json:"max"`
	Q       []float64 `json:"q"` // 10th, 25th, 50th, 75th, 90th percentiles
	IsDate  bool      `json:"is_date"`
	HasTime bool      `json:"has_time"`
	MinStr  string    `json:"min_str"`
	MaxStr  string    `json:"max_str"`
	QStr    []string  `json:"q_str"`
	Values  []string  `json:"values"` // most frequent first, only when few distinct
	Samples []string  `json:"samples"`
	AvgLen  float64   `json:"avg_len"`
}

type tableProfile struct {
	Ref     core.TableRef
	Name    string       `json:"name"`
	Rows    int          `json:"rows"`
	Columns []colProfile `json:"columns"`
}

// link is a many-to-one key: Left.LeftOn values mostly found in the unique Right.RightOn.
type link struct {
	Left       string  `json:"left"`
	LeftOn     string  `json:"left_on"`
	Right      string  `json:"right"`
	RightOn    string  `json:"right_on"`
	Overlap    float64 `json:"overlap"`
	LeftUnique bool    `json:"left_unique"`
}

type profileSet struct {
	Tables []*tableProfile `json:"tables"`
	Links  []link          `json:"links"`
	byName map[string]*tableProfile
}

func profileTables(e *PyExecutor, refs []core.TableRef) (*profileSet, error) {
	var ps profileSet
	if err := e.call(map[string]any{"op": "profile", "tables": refs}, &ps); err != nil {
		return nil, fmt.Errorf("profile tables: %w", err)
	}
	ps.byName = map[string]*tableProfile{}
	for i, t := range ps.Tables {
		t.Ref = refs[i]
		ps.byName[t.Name] = t
	}
	return &ps, nil
}

func (c *colProfile) isNum() bool {
	return strings.HasPrefix(c.Dtype, "Int") || strings.HasPrefix(c.Dtype, "UInt") || strings.HasPrefix(c.Dtype, "Float")
}
func (c *colProfile) isInt() bool   { return c.isNum() && !c.isFloat() }
func (c *colProfile) isFloat() bool { return strings.HasPrefix(c.Dtype, "Float") }
func (c *colProfile) isStr() bool   { return c.Dtype == "String" }
func (c *colProfile) isBool() bool  { return c.Dtype == "Boolean" }
func (c *colProfile) isDate() bool  { return c.isStr() && c.IsDate }

// isKey: identifiers are compared and joined, never summed.
func (c *colProfile) isKey() bool {
	n := c.Name
	return n == "id" || strings.HasSuffix(n, "_id") || strings.HasSuffix(n, "key") || n == "reports_to" || n == "advisor" || n == "major"
}

// isCat: a string with few distinct values, good for grouping and equality filters.
func (c *colProfile) isCat() bool {
	return c.isStr() && !c.IsDate && len(c.Values) >= 2 && c.NUnique <= 30
}

// isGroup: something worth grouping by (category strings, small integer codes).
func (c *colProfile) isGroup(rows int) bool {
	if c.isCat() {
		return true
	}
	if c.isInt() && c.NUnique >= 2 && c.NUnique <= 60 && c.NUnique < rows/2 {
		return true
	}
	return c.isKey() && c.NUnique >= 2 && c.NUnique < rows/2
}

// isMeasure: a number worth summing or averaging.
func (c *colProfile) isMeasure() bool {
	return c.isNum() && !c.isKey() && c.NUnique > 5 && len(c.Q) == 5
}

// isText: free text with words in it, for string operations.
func (c *colProfile) isText() bool {
	return c.isStr() && !c.IsDate && len(c.Samples) > 0 && c.AvgLen >= 4
}

func (t *tableProfile) col(name string) *colProfile {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

func (t *tableProfile) pick(f func(c *colProfile) bool) []*colProfile {
	var out []*colProfile
	for i := range t.Columns {
		if f(&t.Columns[i]) {
			out = append(out, &t.Columns[i])
		}
	}
	return out
}

// isUniqueCol: no nulls and one value per row, so sorting on it has no ties.
func (t *tableProfile) isUniqueCol(c *colProfile) bool {
	return c.Nulls == 0 && c.NUnique == t.Rows
}

// entity turns "nw_order_details" into ("order detail", "order details").
func (t *tableProfile) entity() (singular, plural string) {
	name := t.Name
	if i := strings.Index(name, "_"); i >= 0 {
		name = name[i+1:]
	}
	plural = strings.ReplaceAll(name, "_", " ")
	switch {
	case strings.HasSuffix(plural, "ies"):
		singular = strings.TrimSuffix(plural, "ies") + "y"
	case strings.HasSuffix(plural, "sses"), strings.HasSuffix(plural, "ches"), strings.HasSuffix(plural, "xes"):
		singular = strings.TrimSuffix(plural, "es")
	case strings.HasSuffix(plural, "s") && !strings.HasSuffix(plural, "ss"):
		singular = strings.TrimSuffix(plural, "s")
	default:
		singular = plural
		if !strings.HasSuffix(plural, "data") && !strings.HasSuffix(plural, "s") {
			plural += " rows"
		}
	}
	return singular, plural
}
