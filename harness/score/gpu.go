package score

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// GPUReader reads device-wide GPU memory in use, summed over GPUs, the way the
// runner does. nvidia-smi is checked once: when absent or failing, every later
// reading is 0 without another exec (a failed exec per 0.2 s tick would itself
// cost CPU time the score measures).
type GPUReader struct {
	once   sync.Once
	absent bool
	// Command is the program and arguments; tests may point it elsewhere.
	Command []string
}

var nvidiaQuery = []string{"nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"}

// MB returns the summed memory.used in MiB, 0 when nvidia-smi is unavailable.
func (g *GPUReader) MB() float64 {
	g.once.Do(func() {
		if len(g.Command) == 0 {
			g.Command = nvidiaQuery
		}
		if _, err := g.read(); err != nil {
			g.absent = true
		}
	})
	if g.absent {
		return 0
	}
	v, err := g.read()
	if err != nil {
		return 0 // the runner reads a failing nvidia-smi as 0
	}
	return v
}

// Present reports whether nvidia-smi answered the first query.
func (g *GPUReader) Present() bool { g.MB(); return !g.absent }

func (g *GPUReader) read() (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, g.Command[0], g.Command[1:]...).Output()
	if err != nil {
		return 0, err
	}
	return parseGPUMemory(string(out))
}

// parseGPUMemory sums one number per line (one line per GPU).
func parseGPUMemory(out string) (float64, error) {
	var sum float64
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		v, err := strconv.ParseFloat(line, 64)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}
