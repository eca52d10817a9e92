package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot"

	"polarsbench/harness/runlog"
	"polarsbench/harness/score"
)

// ReportFile is the Markdown report written into a run folder.
const ReportFile = "report.md"

// Stages are the server's timings_ms keys shown per stage, in pipeline order.
var Stages = runlog.Stages

// Write renders run.Dir/report.md and its PNG plots and returns the report's path.
func Write(run Run) (string, error) {
	res := run.Results
	var b strings.Builder
	fmt.Fprintf(&b, "# Run %s\n\n", res.ID)
	if res.Interrupted {
		fmt.Fprintf(&b, "**Incomplete:** %d of %d planned questions scored.\n\n", res.Questions, res.Planned)
	}
	fmt.Fprintf(&b, "- model: `%s` (sha256 `%s`)\n", orDash(res.ModelFile), orDash(short(res.ModelSHA256, 16)))
	if res.Config.Endpoint != "" {
		fmt.Fprintf(&b, "- endpoint: %s\n", res.Config.Endpoint)
	}
	dirty := ""
	if res.Git.Dirty {
		dirty = " (dirty)"
	}
	fmt.Fprintf(&b, "- source: git %s%s\n", short(res.Git.Commit, 12), dirty)
	fmt.Fprintf(&b, "- machine: %s, %d cores, %.0f MB RAM, GPU: %s\n", res.Machine.CPU, res.Machine.Cores, res.Machine.RAMMB, orDash(res.Machine.GPU))
	k := "server default"
	if res.Config.K > 0 {
		k = fmt.Sprint(res.Config.K)
	}
	fmt.Fprintf(&b, "- bench: %s, k: %s", res.Config.Bench, k)
	if len(res.Config.ServeArgs) > 0 {
		fmt.Fprintf(&b, ", server flags: `%s`", strings.Join(res.Config.ServeArgs, " "))
	}
	b.WriteString("\n\n")

	secs := make([]float64, len(run.Samples))
	for i, s := range run.Samples {
		secs[i] = s.Seconds
	}
	sorted := append([]float64(nil), secs...)
	sort.Float64s(sorted)
	b.WriteString("## Score\n\n| figure | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| N (exact matches) | %d of %d (%.1f%%) |\n", res.N, res.Questions, 100*res.Accuracy)
	fmt.Fprintf(&b, "| values-only (right up to column names and order) | %d of %d (%.1f%%) |\n", res.ValuesN, res.Questions, 100*res.ValuesAccuracy)
	fmt.Fprintf(&b, "| sum T | %.2f s |\n", res.SumT)
	if len(sorted) > 0 {
		fmt.Fprintf(&b, "| s/question mean, median, p90 | %.2f, %.2f, %.2f |\n", stat.Mean(sorted, nil),
			stat.Quantile(0.5, stat.Empirical, sorted, nil), stat.Quantile(0.9, stat.Empirical, sorted, nil))
	}
	fmt.Fprintf(&b, "| mean peak VRAM | %.0f MB |\n| mean peak RAM | %.0f MB |\n", res.AvgVRAMMB, res.AvgRAMMB)
	fmt.Fprintf(&b, "| Final Score | **%.4f** = %d / (%.3f × %.3f × %.3f) |\n\n", res.Score, res.N, res.Factors.Time, res.Factors.VRAM, res.Factors.RAM)
	b.WriteString("| plan | score | T (s) | VRAM (MB) | RAM (MB) | assumption |\n|---|---|---|---|---|---|\n")
	for _, p := range res.Plans {
		fmt.Fprintf(&b, "| %s | %.4f | %.2f | %.0f | %.0f | %s |\n", p.Name, p.Score, p.SumT, p.AvgVRAMMB, p.AvgRAMMB, p.Note)
	}
	b.WriteString("\n")
	f := res.Factors
	p, err := barPlot(fmt.Sprintf("Final Score %.4f = N %d / product of factors", res.Score, res.N), "factor",
		[]string{"time: sum T", "VRAM^0.1", "RAM^0.01"}, []float64{f.Time, f.VRAM, f.RAM})
	if err != nil {
		return "", err
	}
	if err := save(p, filepath.Join(run.Dir, "score.png")); err != nil {
		return "", err
	}
	b.WriteString("![score factors](score.png)\n\n")

	// Accuracy by category.
	cats := make([]string, 0, len(res.Categories))
	for c := range res.Categories {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	b.WriteString("## Accuracy by category\n\n| category | right | of | accuracy |\n|---|---|---|---|\n")
	accs := make([]float64, len(cats))
	for i, c := range cats {
		s := res.Categories[c]
		accs[i] = 100 * s.Accuracy
		fmt.Fprintf(&b, "| %s | %d | %d | %.1f%% |\n", orDash(c), s.Correct, s.N, 100*s.Accuracy)
	}
	if len(cats) > 0 {
		p, err := barPlot("Accuracy by category", "% right", cats, accs)
		if err != nil {
			return "", err
		}
		if err := save(p, filepath.Join(run.Dir, "accuracy.png")); err != nil {
			return "", err
		}
		b.WriteString("\n![accuracy by category](accuracy.png)\n\n")
	}
	kinds := make([]string, 0, len(res.Counts))
	for k := range res.Counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	b.WriteString("Outcomes: ")
	for i, k := range kinds {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, res.Counts[k])
	}
	b.WriteString("\n\n")
	writeClasses(&b, res)
	writeStyle(&b, run.Samples)
	b.WriteString("## Time\n\n")
	if len(secs) > 0 {
		p, err := histPlot("Seconds per question", "seconds", secs, min(20, max(5, len(secs)/3)))
		if err != nil {
			return "", err
		}
		if err := save(p, filepath.Join(run.Dir, "seconds.png")); err != nil {
			return "", err
		}
		b.WriteString("![seconds per question](seconds.png)\n\n")
	}
	if groups, series, values, ok := stageMeans(run.Samples, cats); ok {
		p, err := stackedPlot("Mean time per stage (server timings)", "ms", groups, series, values)
		if err != nil {
			return "", err
		}
		if err := save(p, filepath.Join(run.Dir, "stages.png")); err != nil {
			return "", err
		}
		b.WriteString("| stage | mean ms (all questions) |\n|---|---|\n")
		for i, st := range series {
			fmt.Fprintf(&b, "| %s | %.0f |\n", st, values[i][len(groups)-1])
		}
		b.WriteString("\n![time per stage](stages.png)\n\n")
		writeCache(&b, run.Samples)
	} else {
		b.WriteString("No server timings in the samples (an --endpoint run without the server log).\n\n")
	}

	var fails []score.Sample
	for _, s := range run.Samples {
		if !s.Correct {
			fails = append(fails, s)
		}
	}
	if len(fails) > 0 {
		fmt.Fprintf(&b, "## Failures (%d; all in failures.jsonl)\n\n| id | category | class | kind | error |\n|---|---|---|---|---|\n", len(fails))
		for _, s := range fails {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", s.ID, s.Category, cell(classOf(s), 60), s.Kind(), cell(s.ErrorKind, 120))
		}
		b.WriteString("\n")
	}
	path := filepath.Join(run.Dir, ReportFile)
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// writeCache reports what the engine's prefix cache saved: the share of
// prompt tokens it served, and the questions it served beyond the static head
// (a question whose tables a recent question had); and what shared decoding
// saved (infer.Timing.SharedTokens).
func writeCache(b *strings.Builder, samples []score.Sample) {
	var prompt, cached, n int
	var cachedPer []float64
	for _, s := range samples {
		if s.Server == nil || s.Server.PromptTokens == 0 {
			continue
		}
		n++
		prompt += s.Server.PromptTokens
		cached += s.Server.CachedTokens
		cachedPer = append(cachedPer, float64(s.Server.CachedTokens))
	}
	if n == 0 {
		return
	}
	sort.Float64s(cachedPer)
	// The static head is the least any question reuses; more means its tables were cached too.
	head, beyond := cachedPer[0], 0
	for _, c := range cachedPer {
		if c > head {
			beyond++
		}
	}
	fmt.Fprintf(b, "Prompt cache: %d of %d prompt tokens served from the cache (%.1f%%); %d of %d questions reused more than the static head (%.0f tokens).\n\n",
		cached, prompt, 100*float64(cached)/float64(prompt), beyond, n, head)
	var generated, shared int
	for _, s := range samples {
		if s.Server != nil {
			generated += s.Server.GeneratedTokens
			shared += s.Server.SharedTokens
		}
	}
	if generated > 0 {
		fmt.Fprintf(b, "Shared decoding: %d of %d generated tokens (%.1f%%) were drawn from a forward pass another candidate with the same text so far drew from too.\n\n",
			shared, generated, 100*float64(shared)/float64(generated))
	}
}

// classOf is a sample's class with its detail, e.g. "columns: extra: n".
func classOf(s score.Sample) string {
	c, d := s.Class, s.ClassDetail
	if c == "" {
		c, d = score.Classify(s)
	}
	if d != "" {
		return c + ": " + d
	}
	return c
}

// writeStyle lists the answers whose columns the server renamed to the
// bank's conventions (answer.Style), and whether each was right.
func writeStyle(b *strings.Builder, samples []score.Sample) {
	var rows []string
	right := 0
	for _, s := range samples {
		if s.Server == nil || s.Server.Style == "" {
			continue
		}
		if s.Correct {
			right++
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s |\n", s.ID, cell(s.Server.Style, 120), classOf(s)))
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "## Column names restyled\n\n%d answers took the bank's names for the columns they made (%d of them right):\n\n| id | renames | class |\n|---|---|---|\n%s\n", len(rows), right, strings.Join(rows, ""))
}

// writeClasses renders the failure-class table of a run.
func writeClasses(b *strings.Builder, res score.Results) {
	if res.Classes == nil { // results.json older than the classes
		return
	}
	b.WriteString("## Failure classes\n\n| class | meaning | questions | share |\n|---|---|---|---|\n")
	names := append([]string(nil), score.Classes...)
	if res.Classes[score.ClassUnknown] > 0 {
		names = append(names, score.ClassUnknown)
	}
	share := func(n int) float64 { return 100 * float64(n) / float64(max(res.Questions, 1)) }
	for _, c := range names {
		n := res.Classes[c]
		fmt.Fprintf(b, "| %s | %s | %d | %.1f%% |\n", c, score.ClassMeaning[c], n, share(n))
		if c == score.ClassError {
			kinds := make([]string, 0, len(res.ErrorKinds))
			for k := range res.ErrorKinds {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			for _, k := range kinds {
				fmt.Fprintf(b, "| error: %s | | %d | %.1f%% |\n", k, res.ErrorKinds[k], share(res.ErrorKinds[k]))
			}
		}
	}
	fmt.Fprintf(b, "\nValues-only accuracy (right + names): %d of %d (%.1f%%), strict %d (%.1f%%).\n\n",
		res.ValuesN, res.Questions, 100*res.ValuesAccuracy, res.N, 100*res.Accuracy)
}

// stageMeans returns, per category and for all questions together (the last
// group), the mean ms of each stage. ok is false when no sample has timings.
func stageMeans(samples []score.Sample, cats []string) (groups, series []string, values [][]float64, ok bool) {
	groups = append(append([]string(nil), cats...), "all")
	index := map[string]int{}
	for i, c := range cats {
		index[c] = i
	}
	all := len(cats)
	sums := make([][]float64, len(Stages))
	for i := range sums {
		sums[i] = make([]float64, len(groups))
	}
	counts := make([]float64, len(groups))
	seen := make([]bool, len(Stages))
	for _, s := range samples {
		if s.Server == nil || len(s.Server.TimingsMS) == 0 {
			continue
		}
		ok = true
		g := index[s.Category]
		counts[g]++
		counts[all]++
		for i, st := range Stages {
			if v, has := s.Server.TimingsMS[st]; has {
				seen[i] = true
				sums[i][g] += v
				sums[i][all] += v
			}
		}
	}
	if !ok {
		return nil, nil, nil, false
	}
	for i, st := range Stages {
		if !seen[i] {
			continue
		}
		row := make([]float64, len(groups))
		for g := range groups {
			if counts[g] > 0 {
				row[g] = sums[i][g] / counts[g]
			}
		}
		series = append(series, st)
		values = append(values, row)
	}
	return groups, series, values, len(series) > 0
}

// CompareMarkdown renders a comparison of B against A.
func CompareMarkdown(c Comparison, alpha float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s vs %s\n\nA is %s (the baseline), B is %s.\n\n", c.B, c.A, c.A, c.B)
	fmt.Fprintf(&b, "Verdict at alpha %.2g: **%s** (exact McNemar p = %.4g on %d discordant pairs)\n\n", alpha, c.Verdict(alpha), c.P, c.RightOnlyInA+c.RightOnlyInB)
	b.WriteString("| figure | A | B | delta |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| accuracy (%d paired questions) | %.1f%% | %.1f%% | %+.1f pts |\n", c.Paired, 100*c.AccuracyA, 100*c.AccuracyB, 100*(c.AccuracyB-c.AccuracyA))
	fmt.Fprintf(&b, "| values-only accuracy | %.1f%% | %.1f%% | %+.1f pts (McNemar p = %.4g: %d vs %d) |\n", 100*c.ValuesAccuracyA, 100*c.ValuesAccuracyB,
		100*(c.ValuesAccuracyB-c.ValuesAccuracyA), c.ValuesP, c.ValuesRightOnlyInA, c.ValuesRightOnlyInB)
	fmt.Fprintf(&b, "| Final Score | %.4f | %.4f | %+.4f |\n\n", c.ScoreA, c.ScoreB, c.ScoreB-c.ScoreA)
	fmt.Fprintf(&b, "Both right %d, both wrong %d, right only in A %d, right only in B %d, unpaired %d.\n\n",
		c.BothRight, c.BothWrong, c.RightOnlyInA, c.RightOnlyInB, c.Unpaired)
	if len(c.ClassesA)+len(c.ClassesB) > 0 {
		b.WriteString("| class (paired questions) | A | B | delta |\n|---|---|---|---|\n")
		names := append([]string(nil), score.Classes...)
		if c.ClassesA[score.ClassUnknown]+c.ClassesB[score.ClassUnknown] > 0 {
			names = append(names, score.ClassUnknown)
		}
		for _, n := range names {
			fmt.Fprintf(&b, "| %s | %d | %d | %+d |\n", n, c.ClassesA[n], c.ClassesB[n], c.ClassesB[n]-c.ClassesA[n])
		}
		b.WriteString("\n")
	}
	flips := func(title string, fs []Flip) {
		if len(fs) == 0 {
			return
		}
		fmt.Fprintf(&b, "## %s (%d)\n\n| id | category | A | B |\n|---|---|---|---|\n", title, len(fs))
		for _, f := range fs {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", f.ID, f.Category, cell(f.kindA(), 60), cell(f.kindB(), 60))
		}
		b.WriteString("\n")
	}
	flips("Fixed in B", c.Fixed)
	flips("Broken in B", c.Broken)
	return b.String()
}

// WriteCompare compares run (B) against the baseline (A), writes
// run.Dir/compare-<baseline id>.md and returns its path.
func WriteCompare(baseline, run Run, alpha float64) (string, Comparison, error) {
	c := Compare(baseline, run)
	path := filepath.Join(run.Dir, "compare-"+filepath.Base(baseline.Dir)+".md")
	return path, c, os.WriteFile(path, []byte(CompareMarkdown(c, alpha)), 0o644)
}

// WriteHistory writes dir/history.md and dir/history.png over all runs under dir.
func WriteHistory(dir string) (string, error) {
	runs, err := History(dir)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("# Run history\n\n| # | run | model | N | questions | accuracy | sum T (s) | score |\n|---|---|---|---|---|---|---|---|\n")
	names := make([]string, len(runs))
	scores := make([]float64, len(runs))
	accs := make([]float64, len(runs))
	for i, r := range runs {
		res := r.Results
		names[i] = fmt.Sprint(i + 1)
		scores[i], accs[i] = res.Score, 100*res.Accuracy
		mark := ""
		if res.Interrupted {
			mark = " (incomplete)"
		}
		fmt.Fprintf(&b, "| %d | %s%s | %s | %d | %d | %.1f%% | %.2f | %.4f |\n", i+1, res.ID, mark, orDash(res.ModelFile), res.N, res.Questions, accs[i], res.SumT, res.Score)
	}
	ps, err := linePlot("Final Score by run", "score", scores, names)
	if err != nil {
		return "", err
	}
	pa, err := linePlot("Accuracy by run", "% right", accs, names)
	if err != nil {
		return "", err
	}
	pa.X.Label.Text = "run # (table above)"
	if err := saveColumn([]*plot.Plot{ps, pa}, filepath.Join(dir, "history.png")); err != nil {
		return "", err
	}
	b.WriteString("\n![score and accuracy by run](history.png)\n")
	path := filepath.Join(dir, "history.md")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// cell makes text safe for one Markdown table cell.
func cell(s string, n int) string {
	s = strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ").Replace(s)
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
