package commands

import (
	"fmt"

	"github.com/spf13/cobra"

	"polarsbench/harness/score"
	"polarsbench/reports"
)

// ReportOptions are the flags of `harness report`.
type ReportOptions struct {
	IO      *IOStreams
	Compare string
	History string
	Alpha   float64
}

func newCmdReport(ios *IOStreams) *cobra.Command {
	o := &ReportOptions{IO: ios}
	c := &cobra.Command{
		Use:   "report RUNDIR [--compare BASELINE] | report --history RUNSDIR",
		Short: "Write a run's report.md with plots, compare two runs, or chart all runs",
		Long: `report RUNDIR writes RUNDIR/report.md with PNG plots (accuracy by category, seconds per
question, time per stage, score factors) and the failure-class table, and prints the strict and
values-only accuracy and the class counts.
--compare BASELINE pairs the questions of RUNDIR (B) and the baseline run (A), lists the flips
and runs an exact McNemar test: RUNDIR is called better only when it wins more discordant pairs
and p < --alpha, and the comparison goes to RUNDIR/compare-<baseline>.md. It shows
the strict and the values-only accuracy (with its own McNemar p) and the classes of both runs.
--history RUNSDIR writes RUNSDIR/history.md and history.png over every run folder in it.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return runReport(o, args) },
	}
	c.Flags().StringVar(&o.Compare, "compare", "", "baseline run folder that RUNDIR is compared against (the older run)")
	c.Flags().StringVar(&o.History, "history", "", "folder of run folders (e.g. runs/)")
	c.Flags().Float64Var(&o.Alpha, "alpha", reports.DefaultAlpha, "significance level of the McNemar test")
	return c
}

func runReport(o *ReportOptions, args []string) error {
	out := o.IO.Out
	if o.Alpha <= 0 || o.Alpha >= 1 {
		return usageError("--alpha must be between 0 and 1")
	}
	if o.History != "" {
		if len(args) > 0 || o.Compare != "" {
			return usageError("--history takes no RUNDIR and no --compare")
		}
		path, err := reports.WriteHistory(o.History)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "history: %s\n", path)
		return nil
	}
	if len(args) != 1 {
		return usageError("report needs a RUNDIR (or --history RUNSDIR)")
	}
	run, err := reports.LoadRun(args[0])
	if err != nil {
		return usageError("%v", err)
	}
	if o.Compare == "" {
		path, err := reports.Write(run)
		if err != nil {
			return err
		}
		res := run.Results
		fmt.Fprintf(out, "accuracy %.1f%% (%d/%d), values-only %.1f%% (%d/%d)\n", 100*res.Accuracy, res.N, res.Questions,
			100*res.ValuesAccuracy, res.ValuesN, res.Questions)
		fmt.Fprintf(out, "classes: %s\n", score.ClassCounts(res))
		fmt.Fprintf(out, "report: %s\n", path)
		return nil
	}
	baseline, err := reports.LoadRun(o.Compare)
	if err != nil {
		return usageError("%v", err)
	}
	path, cmp, err := reports.WriteCompare(baseline, run, o.Alpha)
	if err != nil {
		return err
	}
	fmt.Fprint(out, reports.CompareMarkdown(cmp, o.Alpha))
	fmt.Fprintf(out, "comparison: %s\n", path)
	return nil
}
