// Package llamacpp runs GGUF models through llama.cpp (github.com/ollama/ollama/llama):
// one engine per model, K candidates per request sampled in one batch from a
// shared prompt decode, a multi-entry (LRU) prefix cache of recent prompts, and
// quantisation. It is the only package that uses cgo/llama; the types it speaks
// (requests, results, messages, chat templates, GGUF inspection) are in the
// pure-Go parent package infer, so code that only builds prompts or handles
// results does not link llama.cpp.
package llamacpp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"polarsbench/infer"

	"github.com/ollama/ollama/llama"
	"github.com/ollama/ollama/ml"
)

// Engine owns one model and its llama.cpp context. Sequences 0..Parallel-1
// hold candidates; sequences Parallel.. are the prefix cache's entries, each
// holding the KV of one recent prompt.
//
// The KV cache is split per sequence (one stream each), which shapes the
// design: copying a sequence copies its whole buffer (a partial range aborts
// llama.cpp), and llama.cpp decodes a batch in one pass only when its
// sequences are consecutive ids with the same number of tokens each.
type Engine struct {
	sem    chan struct{} // the engine's lock: one request at a time (see lock)
	info   infer.ModelInfo
	opts   infer.Options
	model  *llama.Model
	lctx   *llama.Context
	batch  *llama.Batch
	nVocab int
	perSeq int     // KV cells each sequence owns
	bos    []int   // the BOS token when the model wants one
	slots  []*slot // the prefix cache's entries
	clock  uint64  // LRU clock
	closed bool

	weightBufs map[string]float64 // MiB of weights by ggml buffer type, as llama.cpp reported at load
}

var backendOnce sync.Once

func backendInit() { backendOnce.Do(llama.BackendInit) }

// Load validates the file with infer.Inspect, then loads it into llama.cpp.
func Load(path string, o infer.Options) (*Engine, error) {
	info, sh, err := infer.InspectShape(path)
	if err != nil {
		return nil, err
	}
	if info.Template == "" {
		return nil, fmt.Errorf("model %s: unknown chat template (arch %s); known: %s", path, info.Arch, strings.Join(infer.Templates, ", "))
	}
	o, err = o.WithDefaults()
	if err != nil {
		return nil, err
	}
	// ggml asserts (aborting the process) when a quantised cache row is not a whole
	// number of 32-value blocks.
	if o.KVCacheType != "" && (sh.HeadDimK%32 != 0 || sh.HeadDimV%32 != 0) {
		return nil, fmt.Errorf("model %s: KV cache type %s needs head sizes divisible by 32 (have %d, %d)", path, o.KVCacheType, sh.HeadDimK, sh.HeadDimV)
	}
	backendInit()
	var model *llama.Model
	bufs := withBufferTap(func() {
		model, err = llama.LoadModelFromFile(path, llama.ModelParams{NumGpuLayers: o.GPULayers, UseMmap: true, Progress: func(float32) {}})
	})
	if err != nil {
		return nil, fmt.Errorf("model %s: llama.cpp could not load it", path)
	}
	fa := ml.FlashAttentionDisabled
	if o.FlashAttention {
		fa = ml.FlashAttentionEnabled
	}
	nSeq := o.Parallel + o.CacheEntries
	lctx, err := llama.NewContextWithModel(model, llama.NewContextParams(o.ContextSize*nSeq, o.BatchSize, nSeq, o.Threads, fa, o.KVCacheType))
	if err != nil {
		llama.FreeModel(model)
		return nil, fmt.Errorf("model %s: cannot create a context of %d x %d cells (kv %q, flash attention %v): %v", path, nSeq, o.ContextSize, o.KVCacheType, o.FlashAttention, err)
	}
	// The binding turns embeddings on for every context; generation needs only logits.
	disableEmbeddings(lctx)
	batch, err := llama.NewBatch(max(o.BatchSize, o.Parallel*(1+infer.MaxDraft)), 1, 0)
	if err != nil {
		freeContext(lctx)
		llama.FreeModel(model)
		return nil, err
	}
	e := &Engine{sem: make(chan struct{}, 1), info: info, opts: o, model: model, lctx: lctx, batch: batch, nVocab: model.NumVocab(), perSeq: ctxPerSeq(lctx), weightBufs: bufs}
	for i := 0; i < o.CacheEntries; i++ {
		e.slots = append(e.slots, &slot{seq: o.Parallel + i})
	}
	// Tokenizing "" with special tokens yields exactly the BOS the model adds, if any.
	if e.bos, err = model.Tokenize("", true, true); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// lock takes the engine for one request, waiting at most until ctx ends: a
// queued request gives up with ctx's error instead of spending its whole
// budget behind others.
func (e *Engine) lock(ctx context.Context) error {
	select {
	case <-ctx.Done(): // already over: do not take the engine (select picks at random)
		return ctx.Err()
	default:
	}
	select {
	case e.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Engine) unlock() { <-e.sem }

// Info describes the loaded model.
func (e *Engine) Info() infer.ModelInfo { return e.info }

// WeightBuffers returns the MiB of model weights llama.cpp placed in each ggml
// buffer type at load: "CPU_REPACK" holds the weights repacked for the
// interleaved Q4_0/Q4_K kernels, "CPU_Mapped" the rest (mmap).
func (e *Engine) WeightBuffers() map[string]float64 {
	out := make(map[string]float64, len(e.weightBufs))
	for k, v := range e.weightBufs {
		out[k] = v
	}
	return out
}

// Options returns the options in effect (defaults filled in).
func (e *Engine) Options() infer.Options { return e.opts }

// Close frees the context and the model; safe to call twice.
func (e *Engine) Close() error {
	e.lock(context.Background())
	defer e.unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	e.batch.Free()
	freeContext(e.lctx)
	llama.FreeModel(e.model)
	e.slots = nil
	return nil
}

// Tokenize returns the tokens of text as the engine feeds them (special tokens parsed).
func (e *Engine) Tokenize(text string) ([]int, error) {
	e.lock(context.Background())
	defer e.unlock()
	if e.closed {
		return nil, errors.New("engine is closed")
	}
	return e.model.Tokenize(text, false, true)
}

// Prompt returns the exact text the engine decodes for r.
func (e *Engine) Prompt(r infer.Request) (string, error) {
	p, err := infer.RenderChat(e.info.Template, r.Messages, true)
	return p + r.Prefill, err
}

// cand is one candidate of a request: what it drew so far.
type cand struct {
	text       []byte
	tokens     int
	sumLogprob float64
	finish     string
	sampler    *llama.SamplingContext
}

// stream is one KV sequence being decoded. Its members are the candidates
// that have drawn the same tokens so far, so one forward pass gives all of
// them their next logits; each then draws its own token from those (greedy,
// or with its own sampler). Members that draw different tokens fork: each
// other token gets a stream of its own, starting as a full copy of this one's
// KV. Sampled candidates of a confident model share much of their text (on
// the dev set the K candidates' distinct prefixes were 64% of their
// characters), and no candidate changes: every token is still drawn from the
// logits that follow exactly its own text.
//
// With prompt-lookup drafts every candidate has a stream of its own from the
// start: members could accept different numbers of drafts within one step.
type stream struct {
	seq     int
	pos     int   // position of the first token fed in the last step
	outs    []int // batch indices of the last step's logits, one per fed token
	drafts  []int // the draft tokens fed in the last step after the first
	next    int   // the token to feed next
	hist    []int // prompt and generated tokens, where drafts are looked up (drafts only)
	members []*cand
}

// slot is one entry of the prefix cache: a sequence holding a prompt's KV.
type slot struct {
	seq  int
	toks []int  // the tokens whose KV the sequence holds
	used uint64 // LRU clock of the last use; 0 = never used
}

// Generate samples r.K candidates. The prompt is decoded once into a prefix
// cache entry (reusing the longest cached prefix), then the candidates advance
// together, one Decode per step over their streams (see stream): a single
// candidate runs on the entry's own sequence (its tokens are trimmed off
// afterwards); K > 1 candidates start as one stream on a copy of it and fork
// as they diverge. When ctx ends, generation stops within one step: the
// partial infer.Result comes back with ctx's error.
func (e *Engine) Generate(ctx context.Context, r infer.Request) (res infer.Result, err error) {
	if err := e.lock(ctx); err != nil {
		return res, err
	}
	defer e.unlock()
	if e.closed {
		return res, errors.New("engine is closed")
	}
	r = r.WithDefaults()
	switch {
	case r.K < 0 || r.K > e.opts.Parallel:
		return res, fmt.Errorf("k=%d is outside 1..%d (the engine's Parallel)", r.K, e.opts.Parallel)
	case r.Temperature < 0 || math.IsNaN(float64(r.Temperature)):
		return res, fmt.Errorf("temperature %v is negative", r.Temperature)
	case r.TopP < 0 || r.TopP > 1:
		return res, fmt.Errorf("top_p %v is outside (0, 1]", r.TopP)
	case r.First < 0:
		return res, fmt.Errorf("first candidate %d is negative", r.First)
	case r.MaxTokens < 0:
		return res, fmt.Errorf("max tokens %d is negative", r.MaxTokens)
	case r.Draft < -1 || r.Draft > infer.MaxDraft:
		return res, fmt.Errorf("draft %d is outside -1..%d", r.Draft, infer.MaxDraft)
	case len(r.Messages) == 0:
		return res, errors.New("no messages")
	}
	for _, s := range r.Stop {
		if s == "" {
			return res, errors.New("empty stop string")
		}
	}
	prompt, err := e.Prompt(r)
	if err != nil {
		return res, err
	}
	toks, err := e.model.Tokenize(prompt, false, true)
	if err != nil {
		return res, err
	}
	if len(e.bos) > 0 && (len(toks) == 0 || toks[0] != e.bos[0]) {
		toks = append(append([]int{}, e.bos...), toks...)
	}
	if len(toks) == 0 {
		return res, errors.New("empty prompt")
	}
	if len(toks)+1 > e.perSeq {
		return res, fmt.Errorf("prompt has %d tokens; the context holds %d per sequence", len(toks), e.perSeq)
	}
	res.Timing.PromptTokens = len(toks)

	t0 := time.Now()
	sl, lastIdx, err := e.prefill(ctx, toks, &res.Timing)
	res.Timing.PrefillMs = msSince(t0)
	if err != nil {
		return res, err
	}

	t1 := time.Now()
	defer func() { res.Timing.DecodeMs = msSince(t1) }()
	draft := e.opts.Draft
	if r.Draft != 0 {
		draft = r.Draft
	}
	draft = max(draft, 0)
	solo := r.K == 1
	cands := make([]*cand, r.K)
	for i := range cands {
		c := &cand{}
		if n := r.First + i; n > 0 && r.Temperature > 0 {
			c.sampler, err = llama.NewSamplingContext(e.model, llama.SamplingParams{
				TopP: r.TopP, TypicalP: 1, Temp: r.Temperature, PenaltyRepeat: 1, Seed: r.Seed + uint32(n),
			})
			if err != nil {
				return res, err
			}
		}
		cands[i] = c
	}
	newStream := func(seq int, members ...*cand) *stream {
		st := &stream{seq: seq, pos: len(toks) - 1, outs: []int{lastIdx}, members: members}
		if draft > 0 {
			st.hist = append(make([]int, 0, len(toks)+r.MaxTokens), toks...)
		}
		return st
	}
	var streams []*stream
	switch {
	case solo:
		streams = []*stream{newStream(sl.seq, cands[0])}
	case draft == 0:
		e.lctx.KvCacheSeqCp(sl.seq, 0, -1, -1) // full range only: a partial copy aborts llama.cpp
		streams = []*stream{newStream(0, cands...)}
	default:
		for i, c := range cands {
			e.lctx.KvCacheSeqCp(sl.seq, i, -1, -1)
			streams = append(streams, newStream(i, c))
		}
	}
	defer func() {
		if solo {
			// The entry keeps the prompt only (after a failed decode, reset emptied it).
			e.lctx.KvCacheSeqRm(sl.seq, len(sl.toks), -1)
			return
		}
		for i := range cands {
			e.lctx.KvCacheSeqRm(i, -1, -1)
		}
	}()
	maxStop := 0
	for _, s := range r.Stop {
		maxStop = max(maxStop, len(s))
	}
	// emit gives c the token drawn at its stream's j-th output of the last
	// step; false when the candidate is finished.
	emit := func(c *cand, st *stream, j, tok int, logprob float64) bool {
		c.sumLogprob += logprob
		c.tokens++
		res.Timing.TokensGenerated++
		if e.model.TokenIsEog(tok) {
			c.finish = "eog"
			return false
		}
		from := max(0, len(c.text)-maxStop+1) // a stop may straddle the new piece
		c.text = append(c.text, e.model.TokenToPiece(tok)...)
		if cut := firstStop(c.text, from, r.Stop); cut >= 0 {
			c.text, c.finish = c.text[:cut], "stop"
			return false
		}
		// tok would be fed at position st.pos+j+1
		if c.tokens >= r.MaxTokens || st.pos+j+2 >= e.perSeq {
			c.finish = "length"
			return false
		}
		if st.hist != nil {
			st.hist = append(st.hist, tok)
		}
		return true
	}
	// draw makes c draw its token from the logits at batch index idx.
	draw := func(c *cand, idx int) (tok int, logprob float64, err error) {
		logits := logitsView(e.lctx, idx, e.nVocab)
		if logits == nil {
			e.reset()
			return 0, 0, errors.New("llama.cpp returned no logits")
		}
		am, lse := logitsStats(logits)
		tok = am // greedy
		if c.sampler != nil {
			tok = c.sampler.Sample(e.lctx, idx)
			c.sampler.Accept(tok, false)
		}
		return tok, float64(logits[tok] - logits[am] - lse), nil
	}
	for {
		// Read the last step's logits. A stream of one candidate reads its
		// first fed token's, then its drafts' while they are what it draws.
		//
		// Why drafts are exact: the token at output j is drawn (argmax, or the
		// candidate's sampler with its own RNG) from the logits that follow the
		// candidate's text plus drafts 1..j, and drafts 1..j are accepted only
		// when equal to the tokens the candidate drew itself. So every token is
		// drawn from the very distribution plain one-token-per-step decoding
		// would use, in the same order and with one sampler call per token: the
		// output is the same (greedy: the same text; sampled: the same tokens
		// for the same seed), up to float rounding between batch shapes. The
		// first mismatching token is kept (it was drawn from the right
		// distribution); the drafts after it are dropped, with their KV cells.
		var live []*stream
		var forks []*stream // new streams whose KV is still to be copied from seq
		for _, st := range streams {
			if len(st.members) == 1 {
				c := st.members[0]
				accepted := 0
				for j, idx := range st.outs {
					tok, lp, err := draw(c, idx)
					if err != nil {
						return res, err
					}
					if !emit(c, st, j, tok, lp) {
						break
					}
					if j < len(st.drafts) && tok == st.drafts[j] {
						accepted++ // already in the KV cache at st.pos+j+1
						continue
					}
					st.next = tok
					break
				}
				res.Timing.DraftAccepted += accepted
				if c.finish == "" {
					if accepted < len(st.drafts) {
						e.lctx.KvCacheSeqRm(st.seq, st.pos+accepted+1, -1)
					}
					st.pos += accepted + 1
					live = append(live, st)
				}
				continue
			}
			// Several members (no drafts): one output. They are grouped by
			// the token they draw, in candidate order; the first group keeps
			// the stream, the others fork from it.
			var groups [][]*cand
			var next []int
			for _, c := range st.members {
				tok, lp, err := draw(c, st.outs[0])
				if err != nil {
					return res, err
				}
				res.Timing.SharedTokens++
				if !emit(c, st, 0, tok, lp) {
					continue
				}
				g := slices.Index(next, tok)
				if g < 0 {
					g = len(groups)
					groups, next = append(groups, nil), append(next, tok)
				}
				groups[g] = append(groups[g], c)
			}
			res.Timing.SharedTokens-- // one draw per stream is its own pass's
			pos := st.pos + 1
			for g, members := range groups {
				s := st
				if g > 0 {
					s = &stream{seq: st.seq} // the source until the copy
					forks = append(forks, s)
				}
				s.members, s.next, s.pos = members, next[g], pos
				live = append(live, s)
			}
		}
		// Forks take the lowest free sequences; their sources are live, so
		// no copy overwrites a sequence another one still reads.
		if len(forks) > 0 {
			used := make([]bool, r.K)
			for _, s := range live {
				if !slices.Contains(forks, s) {
					used[s.seq] = true
				}
			}
			for _, s := range forks {
				free := slices.Index(used, false)
				e.lctx.KvCacheSeqCp(s.seq, free, -1, -1)
				s.seq, used[free] = free, true
			}
		}
		// Build the next step's batch over consecutive sequences.
		streams = e.compact(live, solo)
		if len(streams) == 0 {
			break
		}
		e.draftFor(streams, draft, r.MaxTokens)
		e.batch.Clear()
		for _, st := range streams {
			st.outs = append(st.outs[:0], e.batch.NumTokens())
			e.batch.Add(st.next, nil, st.pos, true, st.seq)
			for j, d := range st.drafts {
				st.outs = append(st.outs, e.batch.NumTokens())
				e.batch.Add(d, nil, st.pos+j+1, true, st.seq)
			}
			res.Timing.Steps++
			res.Timing.DraftTokens += len(st.drafts)
		}
		if ctx.Err() != nil {
			for _, c := range cands {
				if c.finish == "" {
					c.finish = "cancelled"
				}
			}
			res.Candidates = collect(cands)
			return res, ctx.Err()
		}
		if err = e.lctx.Decode(e.batch); err != nil {
			e.reset()
			return res, fmt.Errorf("decode: %w", err)
		}
	}
	res.Candidates = collect(cands)
	return res, nil
}

// Prompt-lookup drafting: the n-gram ending a candidate's text is looked up in
// its history (prompt, then its own tokens); the tokens that followed the
// latest earlier occurrence are the draft. Generated code copies column names
// and phrases from the schemas and examples in the prompt.
var (
	ngramMax = 3
	ngramMin = 2
)

// draftFor sets each stream's drafts, at most n tokens (streams with drafts
// have one candidate each). Several streams get drafts of one length: llama.cpp
// decodes split-KV sequences in one pass only when each has as many tokens in
// the batch, so shorter drafts are padded (repeating their last token: a guess
// like any other, verified the same way).
func (e *Engine) draftFor(active []*stream, n, maxTokens int) {
	if n <= 0 {
		return
	}
	room := n
	for _, st := range active {
		// positions up to perSeq-2 (the emit check's limit), tokens up to maxTokens
		room = min(room, e.perSeq-2-st.pos, maxTokens-st.members[0].tokens-1)
	}
	longest := 0
	for _, st := range active {
		st.drafts = st.drafts[:0]
		if room > 0 {
			st.drafts = append(st.drafts, lookupDraft(st.hist, room)...)
		}
		longest = max(longest, len(st.drafts))
	}
	if len(active) == 1 {
		return
	}
	for _, st := range active {
		for len(st.drafts) < longest {
			last := st.next
			if len(st.drafts) > 0 {
				last = st.drafts[len(st.drafts)-1]
			}
			st.drafts = append(st.drafts, last)
		}
	}
}

// lookupDraft returns up to n tokens that followed the latest earlier
// occurrence of the longest n-gram (ngramMax down to ngramMin tokens) that ends
// hist.
func lookupDraft(hist []int, n int) []int {
	if n <= 0 {
		return nil
	}
	for g := ngramMax; g >= ngramMin; g-- {
		if len(hist) <= g {
			continue
		}
		tail := hist[len(hist)-g:]
		last := tail[g-1]
		for i := len(hist) - g - 1; i >= 0; i-- {
			if hist[i+g-1] == last && slices.Equal(hist[i:i+g], tail) {
				return hist[i+g : min(i+g+n, len(hist))]
			}
		}
	}
	return nil
}

// compact returns the live streams in sequence order. llama.cpp decodes a
// batch of split-KV sequences in one pass only when their ids are
// consecutive; otherwise it runs one pass per run of consecutive ids, paying
// for the weights again each time. So when a stream ends below others, the
// highest one moves into its sequence (a full KV copy, done once, at the next
// Decode).
func (e *Engine) compact(live []*stream, solo bool) []*stream {
	active := slices.Clone(live)
	if solo || len(active) == 0 {
		return active
	}
	sort.Slice(active, func(a, b int) bool { return active[a].seq < active[b].seq })
	for i := range active {
		if hi := active[len(active)-1]; active[i].seq != i && hi.seq > i {
			// seq i is free (streams occupy 0..K-1, the live ones in order)
			e.lctx.KvCacheSeqCp(hi.seq, i, -1, -1)
			e.lctx.KvCacheSeqRm(hi.seq, -1, -1)
			hi.seq = i
			copy(active[i+1:], active[i:len(active)-1])
			active[i] = hi
		}
	}
	return active
}

// prefill makes a prefix cache entry hold toks, decoding only what no entry
// already holds, and returns it with the batch index of the last token's
// logits. Which entry (see the comment inside) keeps prompts over other tables
// in the cache while a prompt over the same tables replaces its sibling.
func (e *Engine) prefill(ctx context.Context, toks []int, t *infer.Timing) (*slot, int, error) {
	// best: the entry sharing the longest prefix with toks.
	var best *slot
	bestN := 0
	shared := make([]int, len(e.slots))
	for i, s := range e.slots {
		n := commonPrefix(s.toks, toks)
		shared[i] = n
		if s.used > 0 {
			t.CacheEntries++
		}
		if best == nil || n > bestN {
			best, bestN = s, n
			continue
		}
		if n < bestN {
			continue
		}
		// A tie: an entry wholly a prefix of toks (extended in place, no copy) first, then the most recent.
		if sw, bw := n == len(s.toks), bestN == len(best.toks); sw != bw {
			if sw {
				best = s
			}
		} else if s.used > best.used {
			best = s
		}
	}
	v := best
	if bestN < len(best.toks) {
		// toks goes into the victim, which starts as a copy of best's shared
		// prefix unless it is best itself (then best's unshared tail is dropped).
		v = e.victim(shared)
		if v != best && commonPrefix(v.toks, toks)+minCopyTokens <= bestN {
			e.lctx.KvCacheSeqCp(best.seq, v.seq, -1, -1) // full range only: a partial copy aborts llama.cpp
			v.toks = append(v.toks[:0], best.toks[:bestN]...)
			t.CacheCopied = true
		}
	}
	n := commonPrefix(v.toks, toks)
	if n == len(toks) {
		n-- // the last prompt token is decoded again: its logits are needed
	}
	if !e.lctx.KvCacheSeqRm(v.seq, n, -1) {
		e.lctx.KvCacheSeqRm(v.seq, -1, -1)
		n, t.CacheCopied = 0, false
	}
	v.toks = v.toks[:n]
	e.clock++
	v.used = e.clock
	t.CachedTokens = n
	last := 0
	for start := n; start < len(toks); start += e.opts.BatchSize {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		end := min(start+e.opts.BatchSize, len(toks))
		e.batch.Clear()
		for i := start; i < end; i++ {
			e.batch.Add(toks[i], nil, i, i == len(toks)-1, v.seq)
		}
		if err := e.lctx.Decode(e.batch); err != nil {
			e.reset()
			return nil, 0, fmt.Errorf("prompt decode: %w", err)
		}
		v.toks = append(v.toks, toks[start:end]...)
		last = end - start - 1
	}
	return v, last, nil
}

// victim picks the entry a new prompt takes, given what each entry shares with
// it: an empty one, else the least recently used of those idle for 2 requests
// per entry, else the most redundant one (sharing the longest prefix with
// another entry or with the new prompt; ties: least recently used). So a
// prompt over the same tables as an entry replaces it (they share the head and
// the tables, more than any two prompts over different tables), and a prompt
// over new tables evicts a stale entry or a duplicate, not the other tables'.
func (e *Engine) victim(shared []int) *slot {
	var v *slot
	for _, s := range e.slots {
		if s.used == 0 {
			return s
		}
		if e.clock-s.used >= uint64(2*len(e.slots)) && (v == nil || s.used < v.used) {
			v = s
		}
	}
	if v != nil {
		return v
	}
	bestRed := -1
	for i, s := range e.slots {
		red := shared[i]
		for j, o := range e.slots {
			if j != i {
				red = max(red, commonPrefix(s.toks, o.toks))
			}
		}
		if red > bestRed || red == bestRed && s.used < v.used {
			v, bestRed = s, red
		}
	}
	return v
}

// minCopyTokens: a shorter prefix is decoded again rather than copied (a copy
// moves the whole sequence's KV buffer, a few ms).
const minCopyTokens = 8

func commonPrefix(a, b []int) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// reset empties the whole KV cache after a failed decode, whose state is unknown.
func (e *Engine) reset() {
	e.lctx.KvCacheClear()
	for _, s := range e.slots {
		s.toks, s.used = nil, 0
	}
}

func collect(cands []*cand) []infer.Candidate {
	out := make([]infer.Candidate, len(cands))
	for i, c := range cands {
		out[i] = infer.Candidate{Text: string(c.text), Tokens: c.tokens, Finish: c.finish}
		if c.tokens > 0 {
			out[i].MeanLogprob = c.sumLogprob / float64(c.tokens)
		}
	}
	return out
}

// firstStop returns where the earliest stop string starting at or after from
// begins in text, or -1.
func firstStop(text []byte, from int, stops []string) int {
	best := -1
	if from >= len(text) {
		return -1
	}
	s := string(text[from:])
	for _, st := range stops {
		if i := strings.Index(s, st); i >= 0 && (best < 0 || from+i < best) {
			best = from + i
		}
	}
	return best
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// logSoftmaxAt is log(softmax(x)[i]), computed stably (the reference for
// logitsStats, which the engine uses: a pass in Go over 152k logits takes ms).
func logSoftmaxAt(x []float32, i int) float64 {
	m := x[argmax(x)]
	var sum float64
	for _, v := range x {
		sum += math.Exp(float64(v - m))
	}
	return float64(x[i]-m) - math.Log(sum)
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// SetVerbose shows (true) or hides (false) llama.cpp's INFO logs. The binding
// prints them through slog's default logger, so this sets that logger's level.
func SetVerbose(v bool) {
	if v {
		slog.SetLogLoggerLevel(slog.LevelInfo)
	} else {
		slog.SetLogLoggerLevel(slog.LevelWarn)
	}
}
