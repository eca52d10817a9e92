package commands

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"polarsbench/infer/llamacpp"
)

func TestBenchInferUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "infer", "--repeat", "0"},
		{"bench", "infer", "--k", "9"},
		{"bench", "infer", "--threads", "-1"},
	} {
		_, err := execute(args...)
		if got := inferExitCode(err); got != 2 {
			t.Errorf("%v: exit %d (%v), want 2", args, got, err)
		}
	}
}

func benchSample() llamacpp.BenchResult {
	return llamacpp.BenchResult{Model: "m.gguf", Ks: []int{1, 4}, Threads: 2, Repeat: 3, Draft: 4,
		WeightBuffers: map[string]float64{"CPU_REPACK": 800, "CPU": 200},
		PromptTokens:  700, PromptTokS: 50, PlainPromptTokS: 40,
		Decode: map[int]float64{1: 30, 4: 60}, NoDraftDecode: map[int]float64{1: 20, 4: 50}, PlainDecode: map[int]float64{1: 20, 4: 40},
		AcceptedPerStep: map[int]float64{1: 1, 4: 0.5}, TokensPerStep: map[int]float64{1: 2, 4: 1.5}, DraftPerStep: map[int]float64{1: 3, 4: 2},
		HeadTokens: 700, ColdPrefillMs: 1000, WarmPrefillMs: 100, WarmCachedToks: 650,
		CacheRequests: 12, CachePromptTokens: 1000, CacheCachedTokens: 750, ReturnPrefillMs: 120, ReturnCachedToks: 600}
}

func TestPrintBenchInfer(t *testing.T) {
	var out bytes.Buffer
	printBenchInfer(&out, benchSample())
	for _, want := range []string{
		"model m.gguf, 2 threads, flash attention false, draft 4; medians of 3 runs\n",
		"weights  CPU 200 MiB, CPU_REPACK 800 MiB\n",
		"prompt tok/s (700 tokens, cold)",
		"     1.25x\n", // 50 / 40
		"     1.50x\n", // K=4: 60 / 40
		"drafts   K=4: 2.00 verified, 0.50 accepted, 1.50 tokens per stream step (shared streams and accepted drafts)\n",
		"head     700 tokens: cold prefill 1000 ms, warm 100 ms (650 cached) = 10.0% of cold\n",
		"cache    12 requests over alternating table sets: 750 of 1000 prompt tokens cached (75%); a return to a table set prefills in 120 ms (600 cached)\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// The --json field names are what scripts and earlier runs read.
func TestBenchInferJSONFields(t *testing.T) {
	raw, err := json.Marshal(benchSample())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	want := []string{"accepted_per_step", "cache_cached_tokens", "cache_prompt_tokens", "cache_requests", "cold_prefill_ms",
		"decode_tok_s", "draft", "draft_per_step", "flash_attention", "head_tokens", "k", "model", "nodraft_decode_tok_s",
		"plain_decode_tok_s", "plain_prompt_tok_s", "prompt_tok_s", "prompt_tokens", "repeat", "return_cached_tokens",
		"return_prefill_ms", "threads", "tokens_per_step", "warm_cached_tokens", "warm_prefill_ms", "weight_buffers_mib"}
	if !slices.Equal(got, want) {
		t.Errorf("JSON fields\n got %v\nwant %v", got, want)
	}
}
