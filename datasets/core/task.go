// Package core holds the types every other package shares: a task (a question
// with its tables and gold code), a table reference as the runner sends it, the
// bench loaders and the kinds of failure a candidate's code can have. It imports
// nothing from the project, so anything may import it.
package core

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// TableRef names one table a question may use, as the runner sends it:
// the variable name the code sees, the file and its format ("parquet" or "csv").
type TableRef struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Format string `json:"format"`
}

// Task is one question with its gold answer. It is the project's own task format
// (one JSON object per line) and what the organisers' bench files load into.
type Task struct {
	ID       string     `json:"id"`
	Question string     `json:"question"`
	Tables   []TableRef `json:"tables"`
	GoldCode string     `json:"gold_code"`
	Category string     `json:"category,omitempty"`
	// Split is "train", "heldout" or "dev"; dev and heldout never go into training exports.
	Split string `json:"split,omitempty"`
	// Generator records what made a synthetic task (name and version); empty for dev tasks.
	Generator string `json:"generator,omitempty"`
}

// organisersFile is the shape of ../shared/data/polarsbench/dev/*.json.
type organisersFile struct {
	Questions []struct {
		ID       string `json:"id"`
		Question string `json:"question"`
		Datasets map[string]struct {
			FileName string `json:"file_name"`
			Format   string `json:"format"`
		} `json:"datasets"`
		GoldCode string `json:"gold_code"`
	} `json:"questions"`
}

// LoadBench reads tasks from a file or a folder of files. A .json file is the
// organisers' bench format; a .jsonl file is the project's task format. Table
// paths are resolved against dataDir by base name when dataDir is not empty, so
// "data/sk_films.parquet" in a bench file finds dataDir/sk_films.parquet.
// Absolute paths (the project's task files record them) are kept as they are.
func LoadBench(path, dataDir string) ([]Task, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("bench %s: %w", path, err)
	}
	files := []string{path}
	if st.IsDir() {
		files = nil
		for _, pat := range []string{"*.json", "*.jsonl"} {
			m, _ := filepath.Glob(filepath.Join(path, pat))
			files = append(files, m...)
		}
		sort.Strings(files)
		if len(files) == 0 {
			return nil, fmt.Errorf("bench %s: no .json or .jsonl files in folder", path)
		}
	}
	var tasks []Task
	seen := map[string]string{}
	for _, f := range files {
		var ts []Task
		if strings.HasSuffix(f, ".jsonl") {
			ts, err = loadTaskLines(f)
		} else {
			ts, err = loadOrganisers(f)
		}
		if err != nil {
			return nil, err
		}
		for i := range ts {
			if prev, dup := seen[ts[i].ID]; dup {
				return nil, fmt.Errorf("bench: task id %q appears in %s and %s", ts[i].ID, prev, f)
			}
			seen[ts[i].ID] = f
			if dataDir != "" {
				for j := range ts[i].Tables {
					if p := ts[i].Tables[j].Path; !filepath.IsAbs(p) {
						ts[i].Tables[j].Path = filepath.Join(dataDir, filepath.Base(p))
					}
				}
			}
		}
		tasks = append(tasks, ts...)
	}
	return tasks, nil
}

func loadOrganisers(path string) ([]Task, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f organisersFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("bench %s: not the organisers' format: %w", path, err)
	}
	category := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "benchmark_"), ".json")
	tasks := make([]Task, 0, len(f.Questions))
	for i, q := range f.Questions {
		if q.ID == "" || strings.TrimSpace(q.Question) == "" || len(q.Datasets) == 0 {
			return nil, fmt.Errorf("bench %s: question %d lacks an id, a question or datasets", path, i)
		}
		t := Task{ID: q.ID, Question: q.Question, GoldCode: q.GoldCode, Category: category, Split: "dev"}
		for name, d := range q.Datasets {
			format := d.Format
			if format == "" {
				format = "parquet"
			}
			t.Tables = append(t.Tables, TableRef{Name: name, Path: d.FileName, Format: format})
		}
		sort.Slice(t.Tables, func(a, b int) bool { return t.Tables[a].Name < t.Tables[b].Name })
		tasks = append(tasks, t)
	}
	return tasks, nil
}

func loadTaskLines(path string) ([]Task, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var tasks []Task
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var t Task
		if err := json.Unmarshal([]byte(text), &t); err != nil {
			return nil, fmt.Errorf("tasks %s:%d: %w", path, line, err)
		}
		if t.ID == "" || strings.TrimSpace(t.Question) == "" || len(t.Tables) == 0 {
			return nil, fmt.Errorf("tasks %s:%d: a task needs id, question and tables", path, line)
		}
		tasks = append(tasks, t)
	}
	return tasks, sc.Err()
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// NormalizeQuestion folds case, punctuation and spacing (ASCII letters and
// digits only): the form in which synthesis drops near-duplicate questions and
// the training export recognises a dev or held-out question.
func NormalizeQuestion(s string) string {
	return strings.TrimSpace(nonWord.ReplaceAllString(strings.ToLower(s), " "))
}

// WriteTasks writes tasks in the project's task format, one JSON object per line.
func WriteTasks(path string, tasks []Task) error { return WriteJSONLines(path, tasks) }

// WriteJSONLines writes one JSON object per line, HTML characters unescaped
// (code holds < and > that must stay readable).
func WriteJSONLines[T any](path string, items []T) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range items {
		if err := enc.Encode(&items[i]); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// IsIdentifier reports whether s is an ASCII Python identifier, the form a
// table name must have to be a variable in the runner's script.
func IsIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
