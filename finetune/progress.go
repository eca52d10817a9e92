package finetune

import (
	"fmt"
	"io"
	"strings"

	"polarsbench/harness/term"
)

// Progress renders training events: a redrawn bar on a terminal, one plain
// line per event otherwise, so logs and pipes stay readable.
type Progress struct {
	W   io.Writer
	TTY bool
}

// NewProgress writes to w and draws a bar when w is a terminal.
func NewProgress(w io.Writer) *Progress {
	return &Progress{W: w, TTY: term.IsTerminal(w)}
}

// Event renders one event.
func (p *Progress) Event(ev Event) {
	switch ev.Event {
	case "start":
		fmt.Fprintf(p.W, "finetune: %d examples (%d skipped), %d steps, %d trainable parameters on %s; base loaded in %.1fs\n",
			ev.Examples, ev.Skipped, ev.Steps, ev.TrainableParams, ev.Device, ev.LoadS)
	case "step":
		if !p.TTY {
			fmt.Fprintf(p.W, "finetune: step %d/%d loss %.4f lr %.2g %.1f tok/s eta %.0fs\n", ev.Step, ev.Steps, ev.Loss, ev.LR, ev.TokensPerS, ev.EtaS)
			return
		}
		const width = 30
		fill := 0
		if ev.Steps > 0 {
			fill = width * ev.Step / ev.Steps
		}
		fmt.Fprintf(p.W, "\r[%s%s] %d/%d loss %.4f %.1f tok/s eta %.0fs ", strings.Repeat("#", fill), strings.Repeat("-", width-fill),
			ev.Step, ev.Steps, ev.Loss, ev.TokensPerS, ev.EtaS)
		if ev.Step == ev.Steps {
			fmt.Fprintln(p.W)
		}
	case "resume":
		fmt.Fprintf(p.W, "finetune: resumed from the checkpoint at step %d/%d (loss %.4f)\n", ev.Step, ev.Steps, ev.Loss)
	case "checkpoint":
		if !p.TTY { // on a terminal the bar's line stays whole; an interrupt names the checkpoint
			fmt.Fprintf(p.W, "finetune: checkpoint at step %d/%d -> %s\n", ev.Step, ev.Steps, ev.Path)
		}
	case "phase":
		fmt.Fprintf(p.W, "finetune: %s\n", ev.Phase)
	case "done":
		fmt.Fprintf(p.W, "finetune: trained %d steps (final loss %.4f) in %.1fs; merge %.1fs, convert %.1fs -> %s\n",
			ev.Steps, ev.FinalLoss, ev.TrainS, ev.MergeS, ev.ConvertS, ev.GGUF)
	}
}

// Status shows a line the next one replaces on a terminal (a plain line in a
// log); last ends it.
func (p *Progress) Status(line string, last bool) {
	if !p.TTY {
		fmt.Fprintf(p.W, "finetune: %s\n", line)
		return
	}
	fmt.Fprint(p.W, "\r\033[K"+line)
	if last {
		fmt.Fprintln(p.W)
	}
}

// Line prints a plain status line.
func (p *Progress) Line(format string, a ...any) { fmt.Fprintf(p.W, "finetune: "+format+"\n", a...) }
