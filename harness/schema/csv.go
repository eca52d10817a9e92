package schema

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	arrowcsv "github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// inferRows is how many data rows polars.read_csv looks at by default (infer_schema_length).
const inferRows = 100

// The shapes polars 1.x accepts when it infers a CSV column (checked against
// polars 1.39: "+1", "nan", "t" and "0x10" stay String; "TRUE", "1.", "inf" do not).
var (
	intRe   = regexp.MustCompile(`^-?\d+$`)
	floatRe = regexp.MustCompile(`^-?(\d+\.\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|\d+[eE][-+]?\d+|inf|NaN)$`)
	boolRe  = regexp.MustCompile(`^(?i:true|false)$`)
)

// readCSV infers the column types the way polars.read_csv does (header row,
// first 100 rows, empty field = null, no date parsing), then lets arrow-go's
// CSV reader read the file with that schema.
func readCSV(path string) (arrow.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	schema, err := inferCSV(f)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	r := arrowcsv.NewReader(f, schema, arrowcsv.WithHeader(true), arrowcsv.WithChunk(-1),
		arrowcsv.WithNullReader(true, ""), arrowcsv.WithAllocator(memory.DefaultAllocator))
	defer r.Release()
	var recs []arrow.RecordBatch
	defer func() {
		for _, rec := range recs {
			rec.Release()
		}
	}()
	for r.Next() {
		rec := r.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("csv data: %w", err)
	}
	return array.NewTableFromRecords(r.Schema(), recs), nil
}

func inferCSV(rd io.Reader) (*arrow.Schema, error) {
	cr := csv.NewReader(rd)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty csv file (no header row)")
	}
	if err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	seen := map[string]bool{}
	for _, h := range header {
		if seen[h] {
			return nil, fmt.Errorf("csv header: column %q appears twice", h)
		}
		seen[h] = true
	}
	// Per column: could every non-empty value so far be an int, a float, a bool?
	type kinds struct{ isInt, isFloat, isBool, any bool }
	ks := make([]kinds, len(header))
	for i := range ks {
		ks[i] = kinds{true, true, true, false}
	}
	for n := 0; n < inferRows; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("csv row %d: %w", n+2, err)
		}
		for i, v := range rec {
			if v == "" {
				continue
			}
			k := &ks[i]
			k.any = true
			k.isInt = k.isInt && intRe.MatchString(v)
			k.isFloat = k.isFloat && (intRe.MatchString(v) || floatRe.MatchString(v))
			k.isBool = k.isBool && boolRe.MatchString(v)
		}
	}
	fields := make([]arrow.Field, len(header))
	for i, h := range header {
		k := ks[i]
		var dt arrow.DataType = arrow.BinaryTypes.String
		switch {
		case !k.any: // all null: polars says String
		case k.isInt:
			dt = arrow.PrimitiveTypes.Int64
		case k.isFloat:
			dt = arrow.PrimitiveTypes.Float64
		case k.isBool:
			dt = arrow.FixedWidthTypes.Boolean
		}
		fields[i] = arrow.Field{Name: h, Type: dt, Nullable: true}
	}
	return arrow.NewSchema(fields, nil), nil
}
