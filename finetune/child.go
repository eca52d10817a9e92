package finetune

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"polarsbench/harness/proc"
	"polarsbench/harness/repo"
)

// Event is one JSON line the training script prints on stdout.
type Event struct {
	Event string `json:"event"` // start, resume, step, checkpoint, phase, done
	// start
	Examples        int     `json:"examples"`
	Skipped         int     `json:"skipped"`
	TrainableParams int64   `json:"trainable_params"`
	Device          string  `json:"device"`
	LoadS           float64 `json:"load_s"`
	// step
	Step       int     `json:"step"`
	Steps      int     `json:"steps"`
	Loss       float64 `json:"loss"`
	LR         float64 `json:"lr"`
	TokensPerS float64 `json:"tokens_per_s"`
	EtaS       float64 `json:"eta_s"`
	// checkpoint: where it was written (its step is Step)
	Path string `json:"path"`
	// phase
	Phase string `json:"phase"`
	// done
	FinalLoss  float64 `json:"final_loss"`
	Tokens     int64   `json:"tokens"`
	MergedDir  string  `json:"merged_dir"`
	GGUF       string  `json:"gguf"`
	GGUFSHA256 string  `json:"gguf_sha256"`
	OutType    string  `json:"outtype"`
	TrainS     float64 `json:"train_s"`
	MergeS     float64 `json:"merge_s"`
	ConvertS   float64 `json:"convert_s"`
	TotalS     float64 `json:"total_s"`
}

// Script returns the training script's path in the repository.
func Script() string { return repo.Path("finetune", "train_lora.py") }

// Python returns the fine-tune interpreter: $FT_PYTHON, else <root>/.venv-ft/bin/python
// (made by `make finetune-venv`). It is kept apart from the Polars venv because
// torch and transformers would otherwise weigh on every worker start.
func Python() string {
	if p := os.Getenv("FT_PYTHON"); p != "" {
		return p
	}
	return repo.Path(".venv-ft", "bin", "python")
}

// CheckPython says, in one line, why the fine-tune venv cannot run the script.
func CheckPython(py string) error {
	if _, err := os.Stat(py); err != nil {
		return fmt.Errorf("fine-tune python %s is missing: run `make finetune-venv` (or set FT_PYTHON)", py)
	}
	return nil
}

// childGrace is how long an interrupted child may take to exit before it is
// killed: the training script first saves a checkpoint (seconds for a 1.5B
// model's adapter and optimizer).
var childGrace = 30 * time.Second

// runChild runs argv in its own process group, hands each stdout JSON line to
// onEvent and returns the last event of kind "done". Cancelling ctx sends
// SIGINT to the whole group (the script and any `accelerate launch` workers),
// then SIGKILL after childGrace. A failure carries the child's last stderr line.
func runChild(ctx context.Context, argv []string, env []string, onEvent func(Event)) (Event, error) {
	p, err := proc.Start(ctx, proc.Spec{Path: argv[0], Args: argv[1:], Env: env, Stdout: true,
		TailBytes: 64 << 10, StopSignal: syscall.SIGINT, Grace: childGrace})
	if err != nil {
		return Event{}, fmt.Errorf("start %s: %w", argv[0], err)
	}
	// Whatever happens, nothing of the group outlives this call.
	defer p.Kill()

	var done, saved Event
	stdout := p.Stdout()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var ev Event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil || ev.Event == "" {
			continue // library chatter on stdout is not progress
		}
		switch ev.Event {
		case "done":
			done = ev
		case "checkpoint":
			saved = ev
		}
		if onEvent != nil {
			onEvent(ev)
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	err = p.Wait()
	if ctx.Err() != nil {
		if saved.Path != "" {
			return Event{}, fmt.Errorf("training interrupted (%w); checkpoint at step %d/%d in %s: run again with --resume to go on",
				ctx.Err(), saved.Step, saved.Steps, saved.Path)
		}
		return Event{}, fmt.Errorf("training interrupted before its first checkpoint: %w", ctx.Err())
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return Event{}, fmt.Errorf("training failed (exit %d): %s", ee.ExitCode(), lastLine(p.Tail()))
		}
		return Event{}, err
	}
	if done.Event == "" {
		return Event{}, fmt.Errorf("training ended without a summary line: %s", lastLine(p.Tail()))
	}
	return done, nil
}

// lastLine prefers the script's own "train_lora: error:" line over library noise.
func lastLine(t *proc.Tail) string {
	if l := t.Find(func(line string) bool { return strings.HasPrefix(line, "train_lora:") }); l != "" {
		return l
	}
	if l := t.LastLine(); l != "" {
		return l
	}
	return "(no message on stderr)"
}
