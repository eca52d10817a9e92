package infer

import (
	"runtime"
	"testing"
)

func TestDefaults(t *testing.T) {
	o, err := Options{}.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.Threads != runtime.NumCPU() || o.ContextSize != 2048 || o.Parallel != 8 || o.BatchSize != 512 ||
		o.CacheEntries != 4 || o.Draft != DefaultDraft {
		t.Fatalf("option defaults %+v", o)
	}
	if o, _ := (Options{Threads: 3, Parallel: 2, GPULayers: -1}).WithDefaults(); o.Threads != 3 || o.Parallel != 2 || o.GPULayers != 999 {
		t.Fatalf("set options kept: %+v", o)
	}
	if r := (Request{}).WithDefaults(); r.K != 1 || r.TopP != 1 || r.MaxTokens != 512 {
		t.Fatalf("request defaults %+v", r)
	}
	if r := (Request{K: 4, TopP: 0.9, MaxTokens: 64}).WithDefaults(); r.K != 4 || r.TopP != 0.9 || r.MaxTokens != 64 {
		t.Fatalf("set request kept: %+v", r)
	}
}
