// Package schema reads what the model must know about a table — column names,
// Polars dtypes, null counts, a few values — from the parquet or CSV file the
// runner names, since the runner sends only paths, never a schema.
package schema

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"polarsbench/datasets/core"
)

// Limits on what a Table carries. The prompt is paid per token, so these stay small.
const (
	// MaxValues is the most distinct values a String column may have for Values to list them.
	MaxValues = 10
	// MaxValueLen drops a column from Values listing when any value is longer (free text).
	MaxValueLen = 40
	// NumExamples is how many distinct non-null values Column.Examples keeps.
	NumExamples = 3
	// NumSampleRows is how many rows Table.Sample keeps.
	NumSampleRows = 3
	// MaxDecimals is the most digits after the point a float column may show
	// to count as rounded data (Column.Decimals).
	MaxDecimals = 6
)

// Column describes one column as Polars would see it.
type Column struct {
	Name string
	// Type is the Polars dtype name (Int64, Float64, String, Boolean, Date, Datetime, ...).
	Type  string
	Nulls int64
	// Values lists, sorted, every distinct value of a low-cardinality String column; nil otherwise.
	Values []string
	// Examples holds the first few distinct non-null values in file order, as text.
	Examples []string
	// Unique is true when every row holds a different non-null value (a primary key).
	Unique bool
	// Decimals is, for a float column, the most digits after the point any
	// of its values shows in its shortest form (2 for prices such as 17.02,
	// 1 for 36.8); -1 when some value needs more than MaxDecimals (the data
	// is not rounded) and for every other type. Answers keep the precision of
	// the data when they round (answer.Style).
	Decimals int
	// keys holds every distinct value of a key-like column (KeyLike), for the
	// join plan's overlap check; nil for other columns.
	keys map[string]struct{}
}

// Table is what the prompt shows of one table.
type Table struct {
	Ref     core.TableRef
	Rows    int64
	Columns []Column
	// Sample holds the first rows as text, keyed by column name; nulls are absent.
	Sample []map[string]string
}

// Column returns the table's column of that name; ok is false for none.
func (t *Table) Column(name string) (c Column, ok bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// Cache remembers described tables; the key includes size and modification
// time so a rewritten file is read again.
type Cache struct {
	mu     sync.Mutex
	tables map[cacheKey]*Table
	named  map[string]*Table // the latest table described under each variable name
}

type cacheKey struct {
	path   string
	format string
	size   int64
	mtime  int64
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{tables: map[cacheKey]*Table{}, named: map[string]*Table{}} }

// Describe returns the table's description, reading the file on first use.
// The returned Table is shared: callers must not modify it. Ref.Name is the
// caller's variable name, even when another name read the same file before.
func (c *Cache) Describe(ref core.TableRef) (*Table, error) {
	st, err := os.Stat(ref.Path)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", ref.Name, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("table %s: %s is a folder, not a file", ref.Name, ref.Path)
	}
	format := strings.ToLower(ref.Format)
	if format == "" {
		format = "parquet"
	}
	key := cacheKey{ref.Path, format, st.Size(), st.ModTime().UnixNano()}
	c.mu.Lock()
	t, ok := c.tables[key]
	c.mu.Unlock()
	if !ok {
		t, err = read(ref.Path, format)
		if err != nil {
			return nil, fmt.Errorf("table %s (%s): %w", ref.Name, ref.Path, err)
		}
		t.Ref = ref
		c.mu.Lock()
		c.tables[key] = t
		c.mu.Unlock()
	}
	if t.Ref != ref {
		// Same file, another variable name: copy the header, share the contents.
		cp := *t
		cp.Ref = ref
		t = &cp
	}
	c.mu.Lock()
	c.named[ref.Name] = t
	c.mu.Unlock()
	return t, nil
}

// Named returns the table last described under the variable name, nil for
// none: where a file named elsewhere (an example's) is missing, the runner's
// table of the same name stands in for it.
func (c *Cache) Named(name string) *Table {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.named[name]
}

// Len reports how many files the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.tables)
}

func read(path, format string) (t *Table, err error) {
	// arrow-go may panic on some malformed files; bad input must be an error.
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("cannot read %s file: %v", format, r)
		}
	}()
	var tbl arrow.Table
	switch format {
	case "parquet":
		tbl, err = readParquet(path)
	case "csv":
		tbl, err = readCSV(path)
	default:
		return nil, fmt.Errorf("unknown format %q (want parquet or csv)", format)
	}
	if err != nil {
		return nil, err
	}
	defer tbl.Release()
	return describe(tbl), nil
}

func readParquet(path string) (arrow.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return nil, fmt.Errorf("not a readable parquet file: %w", err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("parquet schema: %w", err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		return nil, fmt.Errorf("parquet data: %w", err)
	}
	return tbl, nil
}

// describe walks every column once: tables here are at most some 100k rows,
// and the result is cached per file.
func describe(tbl arrow.Table) *Table {
	t := &Table{Rows: tbl.NumRows()}
	nSample := int(min(tbl.NumRows(), NumSampleRows))
	t.Sample = make([]map[string]string, nSample)
	for i := range t.Sample {
		t.Sample[i] = map[string]string{}
	}
	for i := 0; i < int(tbl.NumCols()); i++ {
		col := tbl.Column(i)
		c := Column{Name: col.Name(), Type: PolarsType(col.DataType()), Nulls: int64(col.NullN()), Decimals: decimals(col)}
		isString := c.Type == "String"
		distinct := map[string]struct{}{}
		lowCard := isString
		// A key column's every value is needed for the join plan's overlap check.
		key := KeyLike(c.Name) && (isString || strings.Contains(c.Type, "Int"))
		var keys map[string]struct{}
		if key {
			keys = map[string]struct{}{}
		}
		row := 0
		for _, chunk := range col.Data().Chunks() {
			for j := 0; j < chunk.Len(); j, row = j+1, row+1 {
				if chunk.IsNull(j) {
					continue
				}
				// Only text and keys need the string form of every value; other types stop early.
				if !lowCard && !key && len(c.Examples) >= NumExamples && row >= nSample {
					break
				}
				v := chunk.ValueStr(j)
				if key {
					keys[v] = struct{}{}
				}
				if row < nSample {
					t.Sample[row][c.Name] = v
				}
				if _, seen := distinct[v]; !seen {
					if len(c.Examples) < NumExamples {
						c.Examples = append(c.Examples, v)
					}
					if lowCard {
						if len(distinct) >= MaxValues || len(v) > MaxValueLen {
							lowCard = false
						}
					}
					distinct[v] = struct{}{}
				}
			}
		}
		if lowCard && len(distinct) > 0 {
			for v := range distinct {
				c.Values = append(c.Values, v)
			}
			sort.Strings(c.Values)
		}
		if key {
			c.keys = keys
			c.Unique = c.Nulls == 0 && int64(len(keys)) == t.Rows
		}
		t.Columns = append(t.Columns, c)
	}
	return t
}

// decimals is Column.Decimals of one column: every value is read, since one
// value with more digits means the column is not rounded.
func decimals(col *arrow.Column) int {
	bits := 64
	switch col.DataType().ID() {
	case arrow.FLOAT32:
		bits = 32 // the digits of the float32 itself, as Polars prints it
	case arrow.FLOAT64:
	default:
		return -1
	}
	most := 0
	for _, chunk := range col.Data().Chunks() {
		for j := 0; j < chunk.Len(); j++ {
			if chunk.IsNull(j) {
				continue
			}
			var v float64
			switch a := chunk.(type) {
			case *array.Float64:
				v = a.Value(j)
			case *array.Float32:
				v = float64(a.Value(j))
			default:
				return -1
			}
			if math.IsInf(v, 0) || math.IsNaN(v) {
				continue
			}
			text := strconv.FormatFloat(v, 'f', -1, bits)
			if dot := strings.IndexByte(text, '.'); dot >= 0 {
				n := len(text) - dot - 1
				if n > MaxDecimals {
					return -1
				}
				most = max(most, n)
			}
		}
	}
	return most
}

// PolarsType names an Arrow type the way Polars prints the dtype it reads it
// as, without parameters for the temporal types (Datetime, Duration): the model
// needs the kind, and the short name costs fewer tokens.
func PolarsType(dt arrow.DataType) string {
	switch d := dt.(type) {
	case *arrow.ListType:
		return "List(" + PolarsType(d.Elem()) + ")"
	case *arrow.LargeListType:
		return "List(" + PolarsType(d.Elem()) + ")"
	case *arrow.ListViewType:
		return "List(" + PolarsType(d.Elem()) + ")"
	case *arrow.FixedSizeListType:
		return fmt.Sprintf("Array(%s, shape=(%d,))", PolarsType(d.Elem()), d.Len())
	case *arrow.DictionaryType:
		if arrow.IsBaseBinary(d.ValueType.ID()) || d.ValueType.ID() == arrow.STRING_VIEW {
			return "Categorical"
		}
		return PolarsType(d.ValueType)
	}
	switch dt.ID() {
	case arrow.NULL:
		return "Null"
	case arrow.BOOL:
		return "Boolean"
	case arrow.INT8:
		return "Int8"
	case arrow.INT16:
		return "Int16"
	case arrow.INT32:
		return "Int32"
	case arrow.INT64:
		return "Int64"
	case arrow.UINT8:
		return "UInt8"
	case arrow.UINT16:
		return "UInt16"
	case arrow.UINT32:
		return "UInt32"
	case arrow.UINT64:
		return "UInt64"
	case arrow.FLOAT16:
		return "Float16"
	case arrow.FLOAT32:
		return "Float32"
	case arrow.FLOAT64:
		return "Float64"
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return "String"
	case arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW, arrow.FIXED_SIZE_BINARY:
		return "Binary"
	case arrow.DATE32, arrow.DATE64:
		return "Date"
	case arrow.TIMESTAMP:
		return "Datetime"
	case arrow.TIME32, arrow.TIME64:
		return "Time"
	case arrow.DURATION:
		return "Duration"
	case arrow.DECIMAL32, arrow.DECIMAL64, arrow.DECIMAL128, arrow.DECIMAL256:
		return "Decimal"
	case arrow.STRUCT:
		return "Struct"
	}
	return dt.String()
}
