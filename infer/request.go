// Package infer holds what talking to a language model needs without linking
// it: chat messages and templates (RenderChat), GGUF inspection (Inspect), and
// the engine's options, requests and results. The llama.cpp engine itself, the
// only cgo in the project, is the sub-package infer/llamacpp.
package infer

import (
	"fmt"
	"runtime"
	"strings"
)

// Options configure an Engine. Zero values pick the defaults noted.
type Options struct {
	Threads        int    // 0 = runtime.NumCPU()
	GPULayers      int    // 0 = CPU only, -1 = all layers
	ContextSize    int    // KV cells per sequence slot; 0 = 2048
	Parallel       int    // max candidates K per request; 0 = 8
	BatchSize      int    // 0 = 512
	KVCacheType    string // "" (f16), "q8_0", "q4_0"
	FlashAttention bool
	// CacheEntries is how many recent prompts the prefix cache keeps (LRU), each
	// in a sequence of its own (ContextSize cells of KV memory); 0 = 4.
	CacheEntries int
	// Draft is the number of prompt-lookup draft tokens each candidate may add
	// to a step for verification (speculative decoding, see draftFor); 0 =
	// DefaultDraft, -1 = off. Requests may override it (Request.Draft).
	Draft int
}

// DefaultDraft is Options.Draft's default: off. On the 2-core CPU this
// project measures on, a step verifying drafts costs about twice a plain step
// (ggml's Q4_K kernels are compute-bound there: 2 to 4 rows cost ~2x one row,
// 8 rows ~3x) while prompt lookup adds ~0.35-0.6 accepted tokens per step on
// code prompts, so drafting was slower (`harness bench infer --draft N`).
// Where verification is nearly free (a GPU) it should pay: measure there.
const DefaultDraft = -1

// MaxDraft bounds draft lengths (Options.Draft, Request.Draft).
const MaxDraft = 16

// orDefault sets *v to d when *v is the zero value.
func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// WithDefaults fills the zero values with their defaults and checks the rest.
func (o Options) WithDefaults() (Options, error) {
	orDefault(&o.Threads, runtime.NumCPU())
	orDefault(&o.ContextSize, 2048)
	orDefault(&o.Parallel, 8)
	orDefault(&o.BatchSize, 512)
	orDefault(&o.CacheEntries, 4)
	orDefault(&o.Draft, DefaultDraft)
	if o.GPULayers == -1 {
		o.GPULayers = 999
	}
	switch {
	case o.Threads < 0, o.ContextSize < 0, o.Parallel < 0, o.BatchSize < 0, o.GPULayers < -1, o.CacheEntries < 0:
		return o, fmt.Errorf("options: negative value in %+v", o)
	case o.ContextSize < 16:
		return o, fmt.Errorf("options: context size %d is too small", o.ContextSize)
	case o.Parallel > 64:
		return o, fmt.Errorf("options: parallel %d is above 64", o.Parallel)
	case o.CacheEntries > 64:
		return o, fmt.Errorf("options: cache entries %d is above 64", o.CacheEntries)
	case o.Draft < -1 || o.Draft > MaxDraft:
		return o, fmt.Errorf("options: draft %d is outside -1..%d", o.Draft, MaxDraft)
	}
	switch strings.ToLower(o.KVCacheType) {
	case "", "f16":
		o.KVCacheType = ""
	case "q8_0", "q4_0":
		o.KVCacheType = strings.ToLower(o.KVCacheType)
	default:
		return o, fmt.Errorf("options: unknown KV cache type %q (want f16, q8_0 or q4_0)", o.KVCacheType)
	}
	return o, nil
}

// Request asks for K candidate completions of one chat. First lets one
// question's candidates come from several requests (the greedy one alone, then
// sampled ones with First 1) and still be the ones a single request would give.
type Request struct {
	Messages    []Message
	K           int      // candidates; 0 = 1
	First       int      // the candidates are numbered First..First+K-1; candidate 0 is greedy
	Temperature float32  // for candidates 1 and up
	TopP        float32  // 0 = 1.0
	Seed        uint32   // candidate i uses Seed+i: same seed, same output
	MaxTokens   int      // per candidate; 0 = 512
	Stop        []string // a candidate ends at the first stop string (not included in Text)
	Prefill     string   // text opening the assistant turn; not included in Candidate.Text
	Draft       int      // prompt-lookup draft tokens per candidate and step; 0 = the engine's Options.Draft, -1 = off
}

// WithDefaults fills the zero K, TopP and MaxTokens with their defaults (1,
// 1.0, 512); the engine checks the rest against its options.
func (r Request) WithDefaults() Request {
	orDefault(&r.K, 1)
	orDefault(&r.TopP, 1)
	orDefault(&r.MaxTokens, 512)
	return r
}

// Candidate is one completion.
type Candidate struct {
	Text        string  `json:"text"`
	Tokens      int     `json:"tokens"`
	MeanLogprob float64 `json:"mean_logprob"`
	Finish      string  `json:"finish"` // "stop", "eog", "length", "cancelled"
}

// Timing of one request.
type Timing struct {
	PromptTokens int `json:"prompt_tokens"`
	// CachedTokens of the prompt came from the prefix cache (not decoded again);
	// CacheCopied says they came from another entry's sequence (one full KV copy).
	CachedTokens int  `json:"cached_tokens"`
	CacheCopied  bool `json:"cache_copied"`
	// CacheEntries is how many prompts the prefix cache held when the request came.
	CacheEntries    int     `json:"cache_entries"`
	TokensGenerated int     `json:"tokens_generated"`
	PrefillMs       float64 `json:"prefill_ms"`
	DecodeMs        float64 `json:"decode_ms"`
	// Steps counts stream steps (one per KV stream per Decode: candidates with
	// the same text so far share a stream, and with drafts each candidate has
	// its own). Speculative decoding: each step verifies DraftTokens/Steps
	// drafts on average, of which DraftAccepted were right. Tokens per step =
	// TokensGenerated/Steps.
	Steps         int `json:"steps"`
	DraftTokens   int `json:"draft_tokens"`
	DraftAccepted int `json:"draft_accepted"`
	// SharedTokens counts tokens a candidate drew from logits computed for
	// another candidate with the same text so far: forward passes saved.
	SharedTokens int `json:"shared_tokens"`
}

// AcceptedPerStep is the mean number of draft tokens accepted per candidate step.
func (t Timing) AcceptedPerStep() float64 {
	if t.Steps == 0 {
		return 0
	}
	return float64(t.DraftAccepted) / float64(t.Steps)
}

// Result holds the candidates in request order (candidate 0 greedy unless Request.First > 0).
type Result struct {
	Candidates []Candidate `json:"candidates"`
	Timing     Timing      `json:"timing"`
}
