package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"polarsbench/datasets/core"
)

// Random tables "of the same flavour" as the bench: families of a dimension
// table, a fact table pointing at it and an event table pointing at the fact,
// with string dates, nulls, booleans and low-cardinality categories. They keep
// the model from learning the 59 bench tables by heart instead of Polars.

type measureSpec struct {
	name     string
	lo, hi   float64
	isFloat  bool
	decimals int
}

type domainSpec struct {
	dim, dimLabel string
	dimCats       map[string][]string
	fact          string
	factLabel     string
	factCats      map[string][]string
	factMeasures  []measureSpec
	factBool      string
	factDate      string
	event         string
	eventCats     map[string][]string
	eventMeasures []measureSpec
	eventDate     string
	words         []string
}

var domains = []domainSpec{
	{dim: "departments", dimLabel: "department_name", dimCats: map[string][]string{"location": {"London", "Paris", "Berlin", "Madrid", "Rome"}, "division": {"Sales", "Engineering", "Finance", "Operations"}},
		fact: "employees", factLabel: "full_name", factCats: map[string][]string{"job_level": {"Junior", "Mid", "Senior", "Lead"}, "gender": {"F", "M"}},
		factMeasures: []measureSpec{{"salary", 30000, 150000, true, 2}, {"age", 21, 65, false, 0}, {"bonus_pct", 0, 0.3, true, 3}},
		factBool:     "is_remote", factDate: "hire_date",
		event: "reviews", eventCats: map[string][]string{"review_type": {"annual", "probation", "project"}},
		eventMeasures: []measureSpec{{"score", 1, 10, false, 0}, {"hours_logged", 0, 220, true, 1}}, eventDate: "review_date",
		words: []string{"Alice", "Martin", "Smith", "Chen", "Garcia", "Nora", "Ivan", "Lopez", "Kim", "Omar"}},
	{dim: "stores", dimLabel: "store_name", dimCats: map[string][]string{"region": {"North", "South", "East", "West"}, "store_type": {"Mall", "Outlet", "Street"}},
		fact: "sales", factLabel: "product_name", factCats: map[string][]string{"channel": {"online", "in_store", "phone"}, "payment_method": {"CASH", "CARD", "VOUCHER"}},
		factMeasures: []measureSpec{{"price", 1, 500, true, 2}, {"quantity", 1, 20, false, 0}, {"discount", 0, 0.25, true, 2}},
		factBool:     "is_returned", factDate: "sale_date",
		event: "refunds", eventCats: map[string][]string{"reason": {"damaged", "late", "wrong item", "other"}},
		eventMeasures: []measureSpec{{"refund_amount", 1, 300, true, 2}, {"days_to_refund", 1, 60, false, 0}}, eventDate: "refund_date",
		words: []string{"Lamp", "Chair", "Desk", "Mug", "Pen", "Table", "Sofa", "Shelf", "Rug", "Clock"}},
	{dim: "hospitals", dimLabel: "hospital_name", dimCats: map[string][]string{"city": {"Lyon", "Porto", "Oslo", "Vienna", "Dublin"}, "ownership": {"Public", "Private"}},
		fact: "patients", factLabel: "patient_name", factCats: map[string][]string{"blood_type": {"A", "B", "AB", "O"}, "ward": {"Cardiology", "Oncology", "Pediatrics", "Surgery", "ER"}},
		factMeasures: []measureSpec{{"weight_kg", 3, 140, true, 1}, {"age", 0, 99, false, 0}, {"bill_amount", 50, 20000, true, 2}},
		factBool:     "is_insured", factDate: "admission_date",
		event: "visits", eventCats: map[string][]string{"visit_type": {"checkup", "emergency", "follow-up"}},
		eventMeasures: []measureSpec{{"duration_min", 5, 240, false, 0}, {"cost", 10, 3000, true, 2}}, eventDate: "visit_date",
		words: []string{"Anna", "Bruno", "Clara", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas"}},
	{dim: "libraries", dimLabel: "library_name", dimCats: map[string][]string{"district": {"Central", "Harbor", "Hill", "Park"}},
		fact: "books", factLabel: "title", factCats: map[string][]string{"genre": {"Fantasy", "History", "Science", "Poetry", "Crime", "Travel"}, "language": {"English", "French", "German", "Spanish"}},
		factMeasures: []measureSpec{{"pages", 40, 1200, false, 0}, {"price", 3, 80, true, 2}, {"rating", 1, 5, true, 1}},
		factBool:     "is_available", factDate: "published_date",
		event: "loans", eventCats: map[string][]string{"loan_status": {"returned", "active", "lost"}},
		eventMeasures: []measureSpec{{"loan_days", 1, 60, false, 0}, {"late_fee", 0, 25, true, 2}}, eventDate: "loan_date",
		words: []string{"Silent", "River", "Night", "Garden", "Empire", "Stone", "Light", "Winter", "Secret", "Ocean"}},
	{dim: "teams", dimLabel: "team_name", dimCats: map[string][]string{"league": {"Premier", "Championship", "Amateur"}, "country": {"England", "Spain", "Italy", "Brazil"}},
		fact: "players", factLabel: "player_name", factCats: map[string][]string{"position": {"GK", "DF", "MF", "FW"}, "foot": {"left", "right"}},
		factMeasures: []measureSpec{{"goals", 0, 40, false, 0}, {"height_cm", 160, 205, false, 0}, {"market_value", 0.1, 120, true, 1}},
		factBool:     "is_captain", factDate: "birth_date",
		event: "matches", eventCats: map[string][]string{"competition": {"League", "Cup", "Friendly"}},
		eventMeasures: []measureSpec{{"minutes_played", 0, 90, false, 0}, {"distance_km", 0, 13, true, 2}}, eventDate: "match_date",
		words: []string{"Rossi", "Silva", "Muller", "Dubois", "Novak", "Costa", "Berg", "Santos", "Kowalski", "Moreau"}},
	{dim: "warehouses", dimLabel: "warehouse_name", dimCats: map[string][]string{"zone": {"A", "B", "C"}, "climate": {"cold", "dry", "ambient"}},
		fact: "shipments", factLabel: "tracking_code", factCats: map[string][]string{"carrier": {"DHL", "UPS", "FEDEX", "POST"}, "priority": {"1-URGENT", "2-HIGH", "3-MEDIUM", "4-LOW"}},
		factMeasures: []measureSpec{{"weight", 0.1, 900, true, 2}, {"parcels", 1, 50, false, 0}, {"freight_cost", 5, 2500, true, 2}},
		factBool:     "is_fragile", factDate: "ship_date",
		event: "scans", eventCats: map[string][]string{"scan_status": {"IN_TRANSIT", "DELIVERED", "DELAYED", "HELD"}},
		eventMeasures: []measureSpec{{"temperature", -20, 35, true, 1}, {"delay_hours", 0, 96, false, 0}}, eventDate: "scan_time",
		words: []string{"ALPHA", "BRAVO", "DELTA", "ECHO", "KILO", "LIMA", "OSCAR", "SIERRA", "TANGO", "ZULU"}},
}

// genColumn is one generated column: a Polars dtype name and its values (nil = null).
type genColumn struct {
	Name   string `json:"name"`
	Type   string `json:"type"` // int, float, str, bool
	Values []any  `json:"values"`
}

type genTable struct {
	Name    string
	Columns []genColumn
}

// randomFamily builds three related tables for one domain. With tpchStyle,
// every column gets its table's letter prefix (d_deptkey, e_deptkey) so joins
// need left_on/right_on, as in the TPC-H tables.
func randomFamily(r *rand.Rand, idx int) []genTable {
	d := domains[idx%len(domains)]
	prefix := fmt.Sprintf("r%c%c", 'a'+rune(r.IntN(26)), 'a'+rune(r.IntN(26)))
	tpch := r.IntN(3) == 0
	colName := func(table, col string) string {
		if !tpch {
			return col
		}
		return table[:1] + "_" + strings.TrimSuffix(col, "_id") + map[bool]string{true: "key", false: ""}[strings.HasSuffix(col, "_id")]
	}
	dimID, factID, eventID := singular(d.dim)+"_id", singular(d.fact)+"_id", singular(d.event)+"_id"
	nDim := 4 + r.IntN(20)
	nFact := 40 + r.IntN(400)
	nEvent := 100 + r.IntN(1500)

	dim := genTable{Name: prefix + "_" + d.dim}
	dim.Columns = append(dim.Columns, seqColumn(colName(d.dim, dimID), nDim, 1))
	dim.Columns = append(dim.Columns, labelColumn(r, colName(d.dim, d.dimLabel), nDim, d.words, true))
	for _, k := range sortedKeys(d.dimCats) {
		dim.Columns = append(dim.Columns, catColumn(r, colName(d.dim, k), nDim, d.dimCats[k], 0))
	}

	fact := genTable{Name: prefix + "_" + d.fact}
	fact.Columns = append(fact.Columns, seqColumn(colName(d.fact, factID), nFact, 100+r.IntN(900)))
	// Some dimension rows get no facts, so anti joins find something.
	fact.Columns = append(fact.Columns, fkColumn(r, colName(d.fact, dimID), nFact, 1, max(1, nDim-1-r.IntN(2))))
	fact.Columns = append(fact.Columns, labelColumn(r, colName(d.fact, d.factLabel), nFact, d.words, false))
	for _, k := range sortedKeys(d.factCats) {
		fact.Columns = append(fact.Columns, catColumn(r, colName(d.fact, k), nFact, d.factCats[k], nullRate(r)))
	}
	for _, m := range d.factMeasures {
		fact.Columns = append(fact.Columns, measureColumn(r, colName(d.fact, m.name), nFact, m, nullRate(r)))
	}
	fact.Columns = append(fact.Columns, boolColumn(r, colName(d.fact, d.factBool), nFact))
	fact.Columns = append(fact.Columns, dateColumn(r, colName(d.fact, d.factDate), nFact, false, nullRate(r)))

	event := genTable{Name: prefix + "_" + d.event}
	firstFact := fact.Columns[0].Values[0].(int)
	event.Columns = append(event.Columns, seqColumn(colName(d.event, eventID), nEvent, 1))
	event.Columns = append(event.Columns, fkColumn(r, colName(d.event, factID), nEvent, firstFact, firstFact+nFact-1-r.IntN(5)))
	for _, k := range sortedKeys(d.eventCats) {
		event.Columns = append(event.Columns, catColumn(r, colName(d.event, k), nEvent, d.eventCats[k], 0))
	}
	for _, m := range d.eventMeasures {
		event.Columns = append(event.Columns, measureColumn(r, colName(d.event, m.name), nEvent, m, nullRate(r)))
	}
	event.Columns = append(event.Columns, dateColumn(r, colName(d.event, d.eventDate), nEvent, r.IntN(2) == 0, 0))
	return []genTable{dim, fact, event}
}

func singular(plural string) string {
	switch {
	case strings.HasSuffix(plural, "ies"):
		return strings.TrimSuffix(plural, "ies") + "y"
	case strings.HasSuffix(plural, "ses"), strings.HasSuffix(plural, "ches"):
		return strings.TrimSuffix(plural, "es")
	}
	return strings.TrimSuffix(plural, "s")
}

func nullRate(r *rand.Rand) float64 {
	if r.IntN(3) == 0 {
		return 0.05 + r.Float64()*0.2
	}
	return 0
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys { // insertion sort: tiny maps, deterministic order
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func seqColumn(name string, n, start int) genColumn {
	c := genColumn{Name: name, Type: "int", Values: make([]any, n)}
	for i := range n {
		c.Values[i] = start + i
	}
	return c
}

func fkColumn(r *rand.Rand, name string, n, lo, hi int) genColumn {
	c := genColumn{Name: name, Type: "int", Values: make([]any, n)}
	for i := range n {
		c.Values[i] = lo + r.IntN(hi-lo+1)
	}
	return c
}

func labelColumn(r *rand.Rand, name string, n int, words []string, unique bool) genColumn {
	c := genColumn{Name: name, Type: "str", Values: make([]any, n)}
	for i := range n {
		v := words[r.IntN(len(words))] + " " + words[r.IntN(len(words))]
		if unique || r.IntN(2) == 0 {
			v = fmt.Sprintf("%s %d", v, i+1)
		}
		c.Values[i] = v
	}
	return c
}

func catColumn(r *rand.Rand, name string, n int, values []string, nulls float64) genColumn {
	c := genColumn{Name: name, Type: "str", Values: make([]any, n)}
	for i := range n {
		if r.Float64() < nulls {
			continue
		}
		// Skewed choice: real categories are rarely uniform.
		k := int(math.Floor(math.Pow(r.Float64(), 1.5) * float64(len(values))))
		c.Values[i] = values[k]
	}
	return c
}

func measureColumn(r *rand.Rand, name string, n int, m measureSpec, nulls float64) genColumn {
	c := genColumn{Name: name, Type: "int", Values: make([]any, n)}
	if m.isFloat {
		c.Type = "float"
	}
	scale := math.Pow(10, float64(m.decimals))
	for i := range n {
		if r.Float64() < nulls {
			continue
		}
		v := m.lo + r.Float64()*(m.hi-m.lo)
		if m.isFloat {
			c.Values[i] = math.Round(v*scale) / scale
		} else {
			c.Values[i] = int(math.Round(v))
		}
	}
	return c
}

func boolColumn(r *rand.Rand, name string, n int) genColumn {
	c := genColumn{Name: name, Type: "bool", Values: make([]any, n)}
	p := 0.2 + r.Float64()*0.6
	for i := range n {
		c.Values[i] = r.Float64() < p
	}
	return c
}

func dateColumn(r *rand.Rand, name string, n int, withTime bool, nulls float64) genColumn {
	c := genColumn{Name: name, Type: "str", Values: make([]any, n)}
	for i := range n {
		if r.Float64() < nulls {
			continue
		}
		y, m, d := 2020+r.IntN(5), 1+r.IntN(12), 1+r.IntN(28)
		v := fmt.Sprintf("%04d-%02d-%02d", y, m, d)
		if withTime {
			v += fmt.Sprintf(" %02d:%02d:%02d", r.IntN(24), r.IntN(60), r.IntN(60))
		}
		c.Values[i] = v
	}
	return c
}

// writeRandomTables writes nFamilies families as parquet files into dir.
func writeRandomTables(e *PyExecutor, r *rand.Rand, dir string, nFamilies int) ([]core.TableRef, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var refs []core.TableRef
	seen := map[string]bool{}
	for i := 0; i < nFamilies; i++ {
		fam := randomFamily(r, i)
		if seen[fam[0].Name] { // two families drew the same prefix and domain
			continue
		}
		for _, t := range fam {
			seen[t.Name] = true
			path, err := filepath.Abs(filepath.Join(dir, t.Name+".parquet"))
			if err != nil {
				return nil, err
			}
			var out struct {
				OK bool `json:"ok"`
			}
			if err := e.call(map[string]any{"op": "write", "path": path, "columns": t.Columns}, &out); err != nil {
				return nil, fmt.Errorf("write %s: %w", path, err)
			}
			refs = append(refs, core.TableRef{Name: t.Name, Path: path, Format: "parquet"})
		}
	}
	return refs, nil
}
