package llamacpp

import (
	"math"
	"os"
	"testing"

	"polarsbench/infer"
)

func TestMain(m *testing.M) {
	// llama.cpp logs every load at INFO through slog's default logger.
	SetVerbose(false)
	os.Exit(m.Run())
}

// sameCandidate compares candidates; log-probs may differ in the last digits
// when the prompt was decoded in differently sized batches (prefix cache).
func sameCandidate(a, b infer.Candidate) bool {
	return a.Text == b.Text && a.Tokens == b.Tokens && a.Finish == b.Finish && math.Abs(a.MeanLogprob-b.MeanLogprob) < 1e-3
}
