// Package commands holds the cobra commands of bin/harness, one file per verb.
// Each file registers its constructor in init(), so adding a verb touches no other file.
package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

var constructors []func() *cobra.Command

// register adds a top-level verb; call it from init() in the verb's file.
func register(newCmd func() *cobra.Command) { constructors = append(constructors, newCmd) }

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

// NewRoot builds the command tree.
func NewRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "harness",
		Short:         "Text-to-Polars harness: llama.cpp inference, Polars workers, voting, scoring, fine-tuning",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &ExitError{Code: 2, Err: err} })
	for _, newCmd := range constructors {
		root.AddCommand(newCmd())
	}
	return root
}

// Execute runs the command line and returns the process exit status.
// Errors print as one line "harness: <reason>".
func Execute() int {
	// Ctrl-C cancels the command's context: long jobs stop cleanly and keep what they did.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := NewRoot().ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "harness:", err)
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return 1
}
