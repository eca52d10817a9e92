package commands

import (
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ollama/ollama/llama"

	"polarsbench/harness/device"
	"polarsbench/harness/score"
)

// The --device flag: where the model runs. The decision itself is
// harness/device.Decide over measured plan figures; this file probes the machine
// and turns the decision into the engine's GPU layers.

// gpuBackendLibs lists the GPU backend libraries ggml would load: the files in
// $OLLAMA_LIBRARY_PATH, else <exe dir>/../lib/ollama, named libggml-<gpu backend>.
func gpuBackendLibs() []string {
	paths, ok := os.LookupEnv("OLLAMA_LIBRARY_PATH")
	if !ok {
		if exe, err := os.Executable(); err == nil {
			paths = filepath.Join(filepath.Dir(exe), "..", "lib", "ollama")
		}
	}
	var libs []string
	for _, dir := range filepath.SplitList(paths) {
		for _, pat := range []string{"libggml-cuda*.so*", "libggml-hip*.so*", "libggml-vulkan*.so*"} {
			m, _ := filepath.Glob(filepath.Join(dir, pat))
			libs = append(libs, m...)
		}
	}
	sort.Strings(libs)
	return libs
}

// gpuDevices lists the GPUs the driver sees (nvidia-smi -L, else /dev/nvidiaN),
// without loading any GPU backend: loading one creates CUDA state that the
// runner's device-wide VRAM reading would count against a CPU plan.
func gpuDevices() []string {
	if out, err := exec.Command("nvidia-smi", "-L").Output(); err == nil {
		var devs []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "GPU ") {
				devs = append(devs, l)
			}
		}
		return devs
	}
	m, _ := filepath.Glob("/dev/nvidia[0-9]*")
	return m
}

// probeMachine is what Decide needs to know about this machine. A GPU counts as
// usable when a backend library is there to drive it and the driver lists it.
func probeMachine() device.Probe {
	p := device.Probe{Libraries: gpuBackendLibs(), IdleVRAMMB: (&score.GPUReader{}).MB()}
	devs := gpuDevices()
	switch {
	case len(devs) > 0 && len(p.Libraries) > 0:
		p.Devices = devs
	case len(devs) > 0:
		p.Note = fmt.Sprintf("%d GPU(s) seen by the driver (%s) but no GPU backend library (make cuda)", len(devs), strings.Join(devs, ", "))
	}
	return p
}

// chooseDevice applies --device (and --gpu-layers) and returns the layers to
// offload, logging the decision and its inputs. On the CPU it keeps ggml from
// loading any GPU backend; on the GPU it checks that ggml enumerates a device.
func (f *solverFlags) chooseDevice(info *log.Logger, k, layers int) (int, error) {
	explicitLayers := f.flags.Changed("gpu-layers")
	if !f.flags.Changed("device") && explicitLayers {
		// --gpu-layers on its own keeps its meaning (reports/device/check.sh uses it).
		info.Printf("device: --gpu-layers %s without --device: offloading as asked, no device decision", f.GPULayers)
		return layers, nil
	}
	if explicitLayers && ((f.Device == device.CPU && layers != 0) || (f.Device == device.GPU && layers == 0)) {
		return 0, usageError("--device %s contradicts --gpu-layers %s", f.Device, f.GPULayers)
	}
	figs, err := device.LoadFigures(f.DeviceFigures)
	if err != nil {
		return 0, usageError("--device-figures: %v", err)
	}
	probe := probeMachine()
	d, err := device.Decide(f.Device, probe, figs.Plan(device.CPU, k), figs.Plan(device.GPU, k))
	if err != nil {
		if errors.Is(err, device.ErrNoGPU) {
			return 0, err
		}
		return 0, usageError("%v", err)
	}
	for _, l := range d.Lines() {
		info.Print(l)
	}
	if d.Device == device.CPU {
		// An empty library path loads no GPU backend: with one loaded, llama.cpp
		// opens a CUDA context (hundreds of MB device-wide) even with 0 layers offloaded.
		os.Setenv("OLLAMA_LIBRARY_PATH", "")
		return 0, nil
	}
	llama.BackendInit() // loads the GPU backends once; llamacpp.Load repeats only the idempotent llama_backend_init
	gpus := llama.EnumerateGPUs()
	if len(gpus) == 0 {
		msg := "ggml enumerated no GPU device from " + strings.Join(probe.Libraries, ", ")
		if d.Want == device.GPU {
			return 0, fmt.Errorf("--device gpu: %w: %s", device.ErrNoGPU, msg)
		}
		info.Printf("device cpu after all: %s", msg)
		return 0, nil
	}
	var names []string
	for _, g := range gpus {
		names = append(names, g.Library+" "+g.ID)
	}
	info.Printf("device: ggml enumerated %s", strings.Join(names, ", "))
	if explicitLayers {
		return layers, nil
	}
	return -1, nil // all layers
}
