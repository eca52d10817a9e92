// Package commands holds the cobra commands of bin/harness, one file per verb:
// flag parsing and printing; the work is done by the domain packages. NewRoot
// lists every verb explicitly (no init() registration).
package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"polarsbench/infer/llamacpp"
)

// ExitError carries an exit status other than 1 (2 means bad usage).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// usageError marks bad input from the user: exit status 2.
func usageError(format string, a ...any) error {
	return &ExitError{Code: 2, Err: fmt.Errorf(format, a...)}
}

// NewRoot builds the command tree over one set of streams: every command
// prints to ios, and so do cobra's help and usage.
func NewRoot(ios *IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:           "harness",
		Short:         "Text-to-Polars harness: llama.cpp inference, Polars workers, voting, scoring, fine-tuning",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &ExitError{Code: 2, Err: err} })
	// score prints through c.OutOrStdout and c.ErrOrStderr, which are ios too (set above).
	root.AddCommand(
		newCmdVersion(ios), newCmdModels(ios), newCmdGenerate(ios), newCmdBench(ios), newCmdQuantize(ios),
		newCmdDatasets(ios), newCmdExec(ios), newCmdJudge(ios), newCmdAsk(ios), newCmdRun(ios), newCmdServe(ios),
		newCmdScore(), newCmdReport(ios), newCmdFinetune(ios), newCmdImprove(ios), newCmdShip(ios),
	)
	return root
}

// newGroup is a command that only holds subcommands: run bare (or with
// arguments) it is a usage error saying so.
func newGroup(use, short, bare string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return usageError("%s", bare) },
	}
	c.AddCommand(subs...)
	return c
}

// Execute runs the command line and returns the process exit status.
// Errors print as one line "harness: <reason>".
func Execute() int {
	// The one signal handler: Ctrl-C or SIGTERM cancels the command's context, so
	// long jobs stop cleanly and keep what they did (commands do not install their own).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// llama.cpp's INFO logs (load, context, one line per tensor when quantizing)
	// stay hidden unless a verb's own verbose flag shows them: finetune and
	// improve quantize without one and used to print ~340 lines into the log.
	llamacpp.SetVerbose(false)
	ios := System()
	err := NewRoot(ios).ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(ios.ErrOut, "harness:", err)
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 1
}
