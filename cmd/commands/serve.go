package commands

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"polarsbench/harness/repo"
	"polarsbench/harness/server"
)

type serveOptions struct {
	IO *IOStreams
	solverFlags
	Addr string
	Log  string
}

func newCmdServe(ios *IOStreams) *cobra.Command {
	o := &serveOptions{IO: ios}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the runner contract: GET / (ready?) and POST /chat (question -> code)",
		Long: `Serve the Polars Bench runner contract on --addr.

GET / answers 503 while the model and the Polars workers load, then 200 {"status":"ok"}.
POST /chat {"message", "tables"} answers 200 {"response": "<code>"} for every well-formed
request, whatever fails inside (the failure goes to the log); malformed JSON gets 400.
Every question appends one JSON line to --log (see README "Reading the logs").`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runServe(c.Context(), o) },
	}
	o.solverFlags.add(c)
	c.Flags().StringVar(&o.Addr, "addr", "127.0.0.1:8000", "listen address")
	c.Flags().StringVar(&o.Log, "log", "", "JSON-lines log of every question (default runs/serve/<time>.jsonl)")
	return c
}

func runServe(ctx context.Context, o *serveOptions) error {
	if o.Log == "" {
		o.Log = repo.Path("runs", "serve", time.Now().UTC().Format("20060102T150405")+".jsonl")
	}
	recs, err := server.OpenRecordLog(o.Log)
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	defer recs.Close()
	info := log.New(o.IO.ErrOut, "serve: ", log.LstdFlags|log.Lmicroseconds)

	// Listen before loading, so the runner's GET / polls get 503 rather than refused connections.
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", o.Addr, err)
	}
	srv := server.New(recs, info)
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 30 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	info.Printf("listening on http://%s (loading; log %s)", ln.Addr(), o.Log)

	start := time.Now()
	st, err := o.solverFlags.open(ctx, info)
	if err != nil {
		// Close the listener too: Close does not see it until Serve has begun,
		// and a fast failure (--device gpu without a GPU) can come first.
		_ = httpSrv.Close()
		_ = ln.Close()
		return err
	}
	defer st.Close()
	srv.SetSolver(st.Solver)
	info.Printf("ready: model %s (%s), k=%d, k_single=%d, workers=%d, bank=%d examples, load %.1fs",
		filepath.Base(st.Solver.Model), st.Info.Arch, st.Solver.Settings.K, st.Solver.Settings.KSingle, st.Workers, st.BankSize, time.Since(start).Seconds())

	select {
	case <-ctx.Done():
		info.Printf("shutting down")
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return httpSrv.Shutdown(shutdownCtx)
}
