package commands

import (
	"fmt"
	"path/filepath"
	"strings"

	"polarsbench/datasets/core"
)

// parseTableFlags turns NAME=PATH flags into table references; the format
// comes from the file extension (.parquet or .csv).
func parseTableFlags(specs []string) ([]core.TableRef, error) {
	refs := make([]core.TableRef, 0, len(specs))
	for _, s := range specs {
		name, path, ok := strings.Cut(s, "=")
		if !ok || name == "" || path == "" {
			return nil, usageError("--table wants NAME=PATH, got %q", s)
		}
		format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
		if format != "parquet" && format != "csv" {
			return nil, usageError("--table %s: want a .parquet or .csv file, got %q", name, path)
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("--table %s: %w", name, err)
		}
		refs = append(refs, core.TableRef{Name: name, Path: abs, Format: format})
	}
	return refs, nil
}
