// Package score drives the runner's path end to end (server child process,
// POST /chat, runner-identical judging) and computes the official Final Score,
// keeping an append-only run record that survives a kill.
package score

import "math"

// Floors of the official formula: each factor is max(x, 1e-6) before the power.
const floor = 1e-6

// Factors are the three denominators of the Final Score.
type Factors struct {
	Time float64 `json:"time"` // max(sum_T, 1e-6)
	VRAM float64 `json:"vram"` // max(avg_gpu_mb, 1e-6) ** 0.1
	RAM  float64 `json:"ram"`  // max(avg_ram_mb, 1e-6) ** 0.01
}

// FactorsOf returns the denominators for total seconds and mean peak MB.
func FactorsOf(sumT, avgGPUMB, avgRAMMB float64) Factors {
	return Factors{
		Time: math.Max(sumT, floor),
		VRAM: math.Pow(math.Max(avgGPUMB, floor), 0.1),
		RAM:  math.Pow(math.Max(avgRAMMB, floor), 0.01),
	}
}

// Final is the official formula:
// N / (max(sum_T,1e-6) * max(avg_gpu_mb,1e-6)**0.1 * max(avg_ram_mb,1e-6)**0.01).
func Final(n int, sumT, avgGPUMB, avgRAMMB float64) float64 {
	f := FactorsOf(sumT, avgGPUMB, avgRAMMB)
	return float64(n) / (f.Time * f.VRAM * f.RAM)
}
