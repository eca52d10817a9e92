package llamacpp

import (
	"fmt"
	"os"
	"runtime"

	"polarsbench/infer"
)

// quantTypes maps Quantize's type names to enum llama_ftype.
var quantTypes = map[string]int{"q4_k_m": 15, "q8_0": 7, "q4_0": 2, "iq4_nl": 25}

// QuantTypeNames lists quantTypes' keys for messages and flag help.
const QuantTypeNames = "q4_k_m, q8_0, q4_0 or iq4_nl"

// QuantTypeKnown reports whether Quantize takes typ.
func QuantTypeKnown(typ string) bool { _, ok := quantTypes[typ]; return ok }

// Quantize writes in, requantised to typ (one of QuantTypeNames), to out.
func Quantize(in, out, typ string) error {
	ftype, ok := quantTypes[typ]
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
	if rc := quantizeFile(in, out, ftype, runtime.NumCPU()); rc != 0 {
		os.Remove(out)
		return fmt.Errorf("quantize: llama.cpp failed on %s (code %d)", in, rc)
	}
	if _, err := infer.Inspect(out); err != nil {
		return fmt.Errorf("quantize: the output does not validate: %w", err)
	}
	return nil
}
