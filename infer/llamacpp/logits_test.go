package llamacpp

import (
	"math"
	"math/rand"
	"testing"
)

func TestLogitsStatsMatchesLogSoftmax(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{1, 7, 8, 49152, 151936} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64()*4) + 10
		}
		x[rng.Intn(n)] += 8
		am, lse := logitsStats(x)
		if am != argmax(x) {
			t.Errorf("n=%d: argmax %d, want %d", n, am, argmax(x))
		}
		for _, i := range []int{0, n / 2, n - 1, am} {
			got := float64(x[i] - x[am] - lse)
			if want := logSoftmaxAt(x, i); math.Abs(got-want) > 1e-4 {
				t.Errorf("n=%d i=%d: log-softmax %.6f, want %.6f", n, i, got, want)
			}
		}
	}
}

func BenchmarkLogSoftmaxGo(b *testing.B) {
	x := make([]float32, 151936)
	for i := range x {
		x[i] = rand.Float32() * 20
	}
	for i := 0; i < b.N; i++ {
		logSoftmaxAt(x, argmax(x))
	}
}

func BenchmarkLogitsStats(b *testing.B) {
	x := make([]float32, 151936)
	for i := range x {
		x[i] = rand.Float32() * 20
	}
	for i := 0; i < b.N; i++ {
		logitsStats(x)
	}
}
