package worker

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// goldenCode builds a frame with the dtypes answers commonly have.
const goldenCode = `import datetime
result = pl.DataFrame({
    "i": [1, None, 3],
    "f": [1.5, 2.25, None],
    "s": ["a", None, "ccc"],
    "b": [True, False, None],
    "d": [datetime.date(2024, 1, 2), None, datetime.date(1999, 12, 31)],
    "u": pl.Series([7, 8, 9], dtype=pl.UInt32),
    "c": pl.Series(["x", "y", "x"], dtype=pl.Categorical),
})`

var goldenFile = filepath.Join("testdata", "golden.arrows")

// TestGoldenIPC pins the Arrow stream format: the worker's bytes must equal the
// committed golden file (a polars upgrade or a compat-level change shows here),
// and arrow-go must decode the golden file to the expected values.
func TestGoldenIPC(t *testing.T) {
	pr, err := startProc(python(t), 0, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.kill()
	body, _ := json.Marshal(request{Code: goldenCode, HeadRows: 5, WantRecord: true, OutputCap: 1000})
	r, live, err := pr.roundTrip(body)
	if err != nil || !r.OK {
		t.Fatalf("%v %+v", err, r)
	}
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(goldenFile, live, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(live, golden) {
		t.Errorf("the worker's Arrow stream changed (%d bytes, golden %d); check arrow-go still reads it, then UPDATE_GOLDEN=1", len(live), len(golden))
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	head, rec, err := decode(golden, mem, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if rec.NumRows() != 3 || rec.NumCols() != 7 {
		t.Fatalf("shape %dx%d", rec.NumRows(), rec.NumCols())
	}
	want := []map[string]any{
		{"i": int64(1), "f": 1.5, "s": "a", "b": true, "d": "2024-01-02", "u": uint32(7), "c": "x"},
		{"i": nil, "f": 2.25, "s": nil, "b": false, "d": nil, "u": uint32(8), "c": "y"},
		{"i": int64(3), "f": nil, "s": "ccc", "b": nil, "d": "1999-12-31", "u": uint32(9), "c": "x"},
	}
	if !reflect.DeepEqual(head, want) {
		t.Fatalf("decoded\n%#v\nwant\n%#v", head, want)
	}
}
