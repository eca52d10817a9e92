package fingerprint

import "testing"

func TestEqualAndMatches(t *testing.T) {
	a := Fingerprint{Hash: "abc", Rows: 2, Cols: 1, Columns: []string{"x"}}
	b := a
	b.Values = "v" // the names-insensitive part is not the runner's comparison
	if !a.Equal(b) || !a.Matches(b) {
		t.Fatal("same hash, shape and columns must be equal")
	}
	for _, c := range []Fingerprint{
		{Hash: "abd", Rows: 2, Cols: 1, Columns: []string{"x"}},
		{Hash: "abc", Rows: 3, Cols: 1, Columns: []string{"x"}},
		{Hash: "abc", Rows: 2, Cols: 1, Columns: []string{"y"}},
	} {
		if a.Equal(c) || a.Matches(c) {
			t.Fatalf("%+v must differ from %+v", c, a)
		}
	}
	// Read back from a record: no hash means no fingerprint, which matches nothing.
	var none Fingerprint
	if !none.Equal(Fingerprint{Columns: []string{}}) || none.Matches(none) {
		t.Fatal("empty fingerprints: Equal compares fields, Matches refuses")
	}
}
