package llamacpp

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"polarsbench/infer"
)

// quantTypes are Quantize's type names with their enum llama_ftype, in the
// order messages list them.
var quantTypes = []struct {
	name  string
	ftype int
}{{"q4_k_m", 15}, {"q8_0", 7}, {"q4_0", 2}, {"iq4_nl", 25}}

// QuantTypeNames lists quantTypes for messages and flag help ("q4_k_m, q8_0, q4_0 or iq4_nl").
var QuantTypeNames = func() string {
	names := make([]string, len(quantTypes))
	for i, t := range quantTypes {
		names[i] = t.name
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}()

// quantFtype is typ's llama_ftype; false when Quantize does not take typ.
func quantFtype(typ string) (int, bool) {
	for _, t := range quantTypes {
		if t.name == typ {
			return t.ftype, true
		}
	}
	return 0, false
}

// QuantTypeKnown reports whether Quantize takes typ.
func QuantTypeKnown(typ string) bool { _, ok := quantFtype(typ); return ok }

// Quantize writes in, requantised to typ (one of QuantTypeNames), to out.
func Quantize(in, out, typ string) error {
	ftype, ok := quantFtype(typ)
	if !ok {
		return fmt.Errorf("quantize: unknown type %q (want %s)", typ, QuantTypeNames)
	}
	if _, err := infer.Inspect(in); err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	if in == out {
		return fmt.Errorf("quantize: input and output are the same file")
	}
	backendInit()
	// llama.cpp logs a line or more per tensor, warnings included (the K-quant
	// fallbacks of small models): shown only when INFO logs are (SetVerbose), and
	// their last lines go into the error when it fails.
	verbose := slog.Default().Enabled(context.Background(), slog.LevelInfo)
	var rc uint32
	logText := withLogTap(true, verbose, func() { rc = quantizeFile(in, out, ftype, runtime.NumCPU()) })
	if rc != 0 {
		os.Remove(out)
		return fmt.Errorf("quantize: llama.cpp failed on %s (code %d): %s", in, rc, lastLines(logText, 3))
	}
	if _, err := infer.Inspect(out); err != nil {
		return fmt.Errorf("quantize: the output does not validate: %w", err)
	}
	return nil
}

// lastLines is the last n non-empty lines of text, joined by " | ".
func lastLines(text string, n int) string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "no log"
	}
	return strings.Join(lines, " | ")
}
