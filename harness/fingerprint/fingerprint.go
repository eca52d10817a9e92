// Package fingerprint is the result fingerprint, defined once: what the
// runner compares between an answer and the gold, and the names-insensitive
// fingerprint beside it. It imports nothing of the project, so every package
// that runs or reads results (judge, worker, datasets, run logs) can share it.
package fingerprint

// Fingerprint is what the runner compares between an answer and the gold
// (Hash, Rows, Cols, Columns), plus the names-insensitive fingerprint. Its JSON
// is what the judge, the Polars worker and the synth helper print.
type Fingerprint struct {
	Hash    string   `json:"hash"`
	Rows    int      `json:"rows"`
	Cols    int      `json:"cols"`
	Columns []string `json:"columns"`
	// Values is the names-insensitive fingerprint: a hash of the multiset of
	// the result's rows, each row a tuple of cells taken as the runner's CSV
	// prints them, with the columns in a canonical order (by ColumnValues).
	// Two results have equal Values when they hold the same rows up to column
	// names, column order and row order (up to hash collisions; fingerprint.py has
	// the details). Results the runner calls equal always have equal Values.
	// Empty when it could not be computed (or in records older than it).
	Values string `json:"values,omitempty"`
	// ColumnValues[i] is the hash of the multiset of column i's cells (Columns
	// order), blind to the column's name and to row order.
	ColumnValues []string `json:"column_values,omitempty"`
}

// Equal reports whether f and g agree on hash, shape and the ordered column
// list: the runner's comparison.
func (f Fingerprint) Equal(g Fingerprint) bool {
	if f.Hash != g.Hash || f.Rows != g.Rows || f.Cols != g.Cols || len(f.Columns) != len(g.Columns) {
		return false
	}
	for i := range f.Columns {
		if f.Columns[i] != g.Columns[i] {
			return false
		}
	}
	return true
}

// Matches is Equal for fingerprints read back from records: one without a
// hash (not computed, or absent from the record) matches nothing.
func (f Fingerprint) Matches(g Fingerprint) bool { return f.Hash != "" && f.Equal(g) }

// ValuesEqual reports whether f and g hold the same rows up to column names
// and column order. False when either lacks the values fingerprint.
func (f Fingerprint) ValuesEqual(g Fingerprint) bool {
	return f.Values != "" && f.Values == g.Values && f.Rows == g.Rows && f.Cols == g.Cols
}

// ColumnsContain reports whether every column of g has a column of f with the
// same multiset of values, each matched to a distinct one (g's columns are a
// sub-multiset of f's by ColumnValues). It is necessary, not sufficient, for f
// kept to some of its columns to equal g: rows are not aligned (see Contained).
func (f Fingerprint) ColumnsContain(g Fingerprint) bool {
	if len(f.ColumnValues) != f.Cols || len(g.ColumnValues) != g.Cols || g.Cols == 0 || g.Cols > f.Cols {
		return false
	}
	have := map[string]int{}
	for _, h := range f.ColumnValues {
		have[h]++
	}
	for _, h := range g.ColumnValues {
		if have[h] == 0 {
			return false
		}
		have[h]--
	}
	return true
}
