// Package datasets generates synthetic tasks over the bench tables: table
// profiles (synth_profile.go), random related tables (synth_tables.go), drafts
// drawn per category (synth_gen.go, synth_ops_<category>.go), gold code run the
// runner's way (synth_exec.go) and filtered (synth.go). The shared task types
// are in datasets/core, table building in datasets/tables and the training
// export in datasets/export.
package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"polarsbench/datasets/core"
	"polarsbench/harness/term"
)

// SynthGenerator is recorded in core.Task.Generator for every synthetic task.
const SynthGenerator = "synth/v1"

// SynthOptions configures Synthesize.
type SynthOptions struct {
	TablesDir      string   // folder of the bench parquet files
	N              int      // tasks wanted
	Seed           uint64   // same seed, same tables, same output
	Heldout        float64  // share of each category put in the "heldout" split
	RandomDir      string   // where random tables are written; empty: bench tables only
	RandomFamilies int      // families of three related random tables
	Python         string   // interpreter with polars, for the helper
	Workers        int      // helper processes
	Exec           Executor // runs gold code; nil: the built-in helper
	Progress       io.Writer
}

// SynthStats says what happened to every draft.
type SynthStats struct {
	Drafted    int            `json:"drafted"`
	Rejected   map[string]int `json:"rejected"` // by check
	Kept       int            `json:"kept"`
	ByCategory map[string]int `json:"by_category"`
	Heldout    int            `json:"heldout"`
	Elapsed    time.Duration  `json:"elapsed_ns"`
}

// Rejection reasons, in the order the checks run.
const (
	RejectDupQuestion    = "duplicate_question"
	RejectError          = "error"
	RejectNondeterminism = "nondeterministic"
	RejectEmpty          = "empty"
	RejectInputCopy      = "identical_to_input"
	RejectDupResult      = "duplicate_result"
)

// Synthesize generates, executes and filters tasks, then splits each category
// into train and held-out.
func Synthesize(ctx context.Context, o SynthOptions) ([]core.Task, *SynthStats, error) {
	start := time.Now()
	if o.N <= 0 {
		return nil, nil, errors.New("synth: --n must be positive")
	}
	if o.Heldout < 0 || o.Heldout >= 1 {
		return nil, nil, fmt.Errorf("synth: --heldout must be in [0, 1), got %g", o.Heldout)
	}
	refs, err := parquetRefs(o.TablesDir)
	if err != nil {
		return nil, nil, err
	}
	helperPy, err := NewPyExecutor(o.Python, max(1, o.Workers))
	if err != nil {
		return nil, nil, err
	}
	defer helperPy.Close()
	exec := o.Exec
	if exec == nil {
		exec = helperPy
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	if o.RandomDir != "" && o.RandomFamilies > 0 {
		rnd, err := writeRandomTables(helperPy, r, o.RandomDir, o.RandomFamilies)
		if err != nil {
			return nil, nil, err
		}
		refs = append(refs, rnd...)
	}
	ps, err := profileTables(helperPy, refs)
	if err != nil {
		return nil, nil, err
	}
	inputHashes, err := tableHashes(ctx, exec, refs)
	if err != nil {
		return nil, nil, err
	}

	st := &SynthStats{Rejected: map[string]int{}, ByCategory: map[string]int{}}
	g := &gen{r: r, ps: ps}
	quota := int(math.Ceil(float64(o.N) / float64(len(SynthCategories))))
	kept := map[string][]core.Task{}
	seenQ, seenFP := map[string]bool{}, map[string]bool{}
	maxDrafts := 30*o.N + 200
	for st.Drafted < maxDrafts {
		var open []string
		for _, c := range SynthCategories {
			if len(kept[c]) < quota {
				open = append(open, c)
			}
		}
		if len(open) == 0 {
			break
		}
		// A batch of drafts is made sequentially (deterministic), run in
		// parallel, then judged in order, so the output depends on the seed only.
		var batch []*draft
		for len(batch) < 64 && st.Drafted < maxDrafts {
			cat := open[len(batch)%len(open)]
			fns := ops[cat]
			d := fns[g.r.IntN(len(fns))](g)
			if d == nil {
				continue
			}
			st.Drafted++
			nq := core.NormalizeQuestion(d.question)
			if seenQ[nq] {
				st.Rejected[RejectDupQuestion]++
				continue
			}
			seenQ[nq] = true
			batch = append(batch, d)
		}
		results, err := runBatch(ctx, exec, ps, batch)
		if err != nil {
			return nil, nil, err
		}
		for i, d := range batch {
			res := results[i]
			reason := judgeDraft(res, inputHashes)
			fpKey := res[0].Hash + "|" + strings.Join(d.tables, ",")
			if reason == "" && seenFP[fpKey] {
				reason = RejectDupResult
			}
			if reason != "" {
				st.Rejected[reason]++
				continue
			}
			seenFP[fpKey] = true
			if len(kept[d.category]) >= quota {
				continue
			}
			kept[d.category] = append(kept[d.category], toTask(d, ps))
		}
		if o.Progress != nil {
			total := 0
			for _, ts := range kept {
				total += len(ts)
			}
			// One updating line on a terminal, plain lines in a pipe or log.
			end := "\n"
			if term.IsTerminal(o.Progress) {
				end = "\r"
			}
			fmt.Fprintf(o.Progress, "synth: %d drafted, %d kept%s", st.Drafted, total, end)
		}
	}
	if term.IsTerminal(o.Progress) {
		fmt.Fprintln(o.Progress)
	}
	tasks := splitAndNumber(kept, o, st)
	st.Elapsed = time.Since(start)
	return tasks, st, nil
}

// splitAndNumber trims to N in category order, puts a share of each category in
// "heldout" (chosen by a seeded shuffle) and gives stable ids.
func splitAndNumber(kept map[string][]core.Task, o SynthOptions, st *SynthStats) []core.Task {
	// Trim the categories round-robin so the total is exactly N when possible.
	take := map[string]int{}
	for total, progress := 0, true; total < o.N && progress; {
		progress = false
		for _, c := range SynthCategories {
			if total < o.N && take[c] < len(kept[c]) {
				take[c]++
				total++
				progress = true
			}
		}
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x4e1d))
	var out []core.Task
	for _, c := range SynthCategories {
		ts := kept[c][:take[c]]
		nHeld := int(math.Round(o.Heldout * float64(len(ts))))
		if o.Heldout > 0 && nHeld == 0 && len(ts) >= 2 {
			nHeld = 1 // every category is represented in the held-out split
		}
		held := map[int]bool{}
		for _, i := range r.Perm(len(ts))[:nHeld] {
			held[i] = true
		}
		for i, t := range ts {
			t.ID = fmt.Sprintf("syn%d-%s-%04d", o.Seed, c, i+1)
			t.Split = "train"
			if held[i] {
				t.Split = "heldout"
				st.Heldout++
			}
			out = append(out, t)
		}
		st.ByCategory[c] = len(ts)
		st.Kept += len(ts)
	}
	return out
}

func toTask(d *draft, ps *profileSet) core.Task {
	t := core.Task{Question: d.question, GoldCode: d.code, Category: d.category, Generator: SynthGenerator}
	for _, n := range d.tables {
		t.Tables = append(t.Tables, ps.byName[n].Ref)
	}
	return t
}

// judgeDraft applies the checks to the two runs of one gold answer.
func judgeDraft(res [2]ExecResult, inputs map[string]bool) string {
	a, b := res[0], res[1]
	switch {
	case !a.OK || !b.OK:
		return RejectError
	case a.Hash != b.Hash || a.Rows != b.Rows:
		return RejectNondeterminism
	case a.Rows == 0 || a.Cols == 0:
		return RejectEmpty
	case inputs[a.Hash]:
		return RejectInputCopy
	}
	return ""
}

// runBatch executes each draft twice (determinism check), concurrently.
func runBatch(ctx context.Context, ex Executor, ps *profileSet, batch []*draft) ([][2]ExecResult, error) {
	out := make([][2]ExecResult, len(batch))
	errs := make([]error, len(batch))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, d := range batch {
		refs := make([]core.TableRef, len(d.tables))
		for j, n := range d.tables {
			refs[j] = ps.byName[n].Ref
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, code string) {
			defer wg.Done()
			defer func() { <-sem }()
			for k := 0; k < 2; k++ {
				res, err := ex.Exec(ctx, refs, code)
				if err != nil {
					errs[i] = err
					return
				}
				out[i][k] = res
			}
		}(i, d.code)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("synth: executor failed: %w", err)
		}
	}
	return out, nil
}

// tableHashes fingerprints every input table as it is, to reject answers that
// return a table unchanged (a sort alone, say: the judge sorts anyway).
func tableHashes(ctx context.Context, ex Executor, refs []core.TableRef) (map[string]bool, error) {
	out := map[string]bool{}
	for _, ref := range refs {
		res, err := ex.Exec(ctx, []core.TableRef{ref}, "result = "+ref.Name)
		if err != nil {
			return nil, err
		}
		if !res.OK {
			return nil, fmt.Errorf("synth: table %s does not load: %s", ref.Path, res.Error)
		}
		out[res.Hash] = true
	}
	return out, nil
}

// parquetRefs lists dir/*.parquet as tables named after their files.
func parquetRefs(dir string) ([]core.TableRef, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("synth: tables folder %s: %w", dir, err)
		}
		return nil, fmt.Errorf("synth: no .parquet files in %s", dir)
	}
	sort.Strings(files)
	refs := make([]core.TableRef, len(files))
	for i, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, err
		}
		refs[i] = core.TableRef{Name: strings.TrimSuffix(filepath.Base(f), ".parquet"), Path: abs, Format: "parquet"}
	}
	return refs, nil
}
