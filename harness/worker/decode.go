package worker

import (
	"bytes"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// decode reads the worker's Arrow IPC stream: the first headRows rows as plain
// values, and when wantRecord the whole stream as one RecordBatch (polars may
// write several chunks; they are concatenated).
func decode(data []byte, mem memory.Allocator, headRows int, wantRecord bool) ([]map[string]any, arrow.RecordBatch, error) {
	if len(data) == 0 {
		return nil, nil, fmt.Errorf("empty Arrow stream")
	}
	r, err := ipc.NewReader(bytes.NewReader(data), ipc.WithAllocator(mem))
	if err != nil {
		return nil, nil, err
	}
	defer r.Release()
	schema := r.Schema()
	head := []map[string]any{}
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for r.Next() {
		b := r.RecordBatch()
		for i := 0; i < int(b.NumRows()) && len(head) < headRows; i++ {
			row := make(map[string]any, int(b.NumCols()))
			for c, col := range b.Columns() {
				if col.IsNull(i) {
					row[schema.Field(c).Name] = nil
				} else {
					row[schema.Field(c).Name] = col.GetOneForMarshal(i)
				}
			}
			head = append(head, row)
		}
		if wantRecord {
			b.Retain()
			batches = append(batches, b)
		}
	}
	if err := r.Err(); err != nil {
		return nil, nil, err
	}
	if !wantRecord {
		return head, nil, nil
	}
	rec, err := concat(schema, batches, mem)
	if err != nil {
		return nil, nil, err
	}
	return head, rec, nil
}

func concat(schema *arrow.Schema, batches []arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	if len(batches) == 1 {
		batches[0].Retain()
		return batches[0], nil
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var rows int64
	for _, b := range batches {
		rows += b.NumRows()
	}
	for c := range cols {
		parts := make([]arrow.Array, len(batches))
		for i, b := range batches {
			parts[i] = b.Column(c)
		}
		if len(parts) == 0 {
			// No batch at all: an empty column of the field's type.
			bld := array.NewBuilder(mem, schema.Field(c).Type)
			cols[c] = bld.NewArray()
			bld.Release()
			continue
		}
		arr, err := array.Concatenate(parts, mem)
		if err != nil {
			return nil, err
		}
		cols[c] = arr
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}
