package score

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestFinalHandComputed(t *testing.T) {
	cases := []struct {
		name        string
		n           int
		t, gpu, ram float64
		want        float64
	}{
		// 10 / (20 * 1024^0.1 * 1^0.01) = 10 / (20 * 2) = 0.25
		{"plain", 10, 20, 1024, 1, 0.25},
		// RAM 2^100 MB is absurd but exact: 2^(100*0.01) = 2
		{"ram power", 8, 2, 1, math.Pow(2, 100), 2},
		// VRAM 0 reads as the floor: (1e-6)^0.1 = 0.251188643150958
		{"vram zero", 1, 1, 0, 1, 1 / math.Pow(1e-6, 0.1)},
		// T 0 reads as 1e-6
		{"time zero", 3, 0, 1, 1, 3 / 1e-6},
		// RAM 0 reads as 1e-6: (1e-6)^0.01 = 10^-0.06
		{"ram zero", 1, 1, 1, 0, 1 / math.Pow(10, -0.06)},
		{"none right", 0, 5, 100, 100, 0},
	}
	for _, c := range cases {
		if got := Final(c.n, c.t, c.gpu, c.ram); !near(got, c.want) {
			t.Errorf("%s: Final(%d,%v,%v,%v) = %v, want %v", c.name, c.n, c.t, c.gpu, c.ram, got, c.want)
		}
	}
	// The contract's worked figures: 0 MB gives a VRAM factor of 0.25, 1500 MB gives 2.08.
	if f := FactorsOf(1, 0, 1).VRAM; math.Abs(f-0.2512) > 1e-3 {
		t.Errorf("VRAM factor at 0 MB = %v, want about 0.251", f)
	}
	if f := FactorsOf(1, 1500, 1).VRAM; math.Abs(f-2.077) > 1e-3 {
		t.Errorf("VRAM factor at 1500 MB = %v, want about 2.077", f)
	}
}
