package score

import (
	"sync"
	"time"
)

// SampleInterval is the runner's sleep between memory checks.
const SampleInterval = 200 * time.Millisecond

// Peaks are the largest readings seen while one request ran.
type Peaks struct {
	RAMMB  float64
	VRAMMB float64
}

// Sampler reads the server tree's RSS and the GPU memory every 0.2 s while a
// request runs, keeping the peaks, as the runner's monitoring thread does.
type Sampler struct {
	PID int // the server process; 0 measures no RAM
	GPU *GPUReader
	// RSS reads a tree's RSS; nil means TreeRSSMB. Tests replace it.
	RSS func(pid int) (float64, error)
}

// Start begins sampling at once and every SampleInterval; the returned
// function stops it and returns the peaks (always at least one reading).
func (s *Sampler) Start() (stop func() Peaks) {
	var (
		mu    sync.Mutex
		peaks Peaks
		done  = make(chan struct{})
		wg    sync.WaitGroup
	)
	read := func() {
		var ram, vram float64
		if s.PID > 0 {
			rss := s.RSS
			if rss == nil {
				rss = TreeRSSMB
			}
			ram, _ = rss(s.PID)
		}
		if s.GPU != nil {
			vram = s.GPU.MB()
		}
		mu.Lock()
		peaks.RAMMB = max(peaks.RAMMB, ram)
		peaks.VRAMMB = max(peaks.VRAMMB, vram)
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(SampleInterval)
		defer t.Stop()
		read()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() Peaks {
		close(done)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return peaks
	}
}
