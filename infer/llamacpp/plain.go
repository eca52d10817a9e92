package llamacpp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"polarsbench/infer"

	"github.com/ollama/ollama/llama"
	"github.com/ollama/ollama/ml"
)

// PlainRates are the speeds of a plain llama.cpp run: the reference the
// engine's own figures are compared with.
type PlainRates struct {
	K            int     `json:"k"`
	PromptTokens int     `json:"prompt_tokens"`
	PromptMs     float64 `json:"prompt_ms"`
	DecodeTokens int     `json:"decode_tokens"` // all sequences together
	DecodeMs     float64 `json:"decode_ms"`
}

// PromptTokS is the prompt rate in tokens per second.
func (p PlainRates) PromptTokS() float64 { return rate(p.PromptTokens, p.PromptMs) }

// DecodeTokS is the aggregate decode rate in tokens per second.
func (p PlainRates) DecodeTokS() float64 { return rate(p.DecodeTokens, p.DecodeMs) }

func rate(n int, ms float64) float64 {
	if ms <= 0 {
		return 0
	}
	return float64(n) / (ms / 1000)
}

// PlainRun measures llama.cpp with none of the engine's logic, on the engine's
// model, build and threads: r's prompt (rendered as Generate renders it) is
// decoded into a fresh context of k sequences in batches of BatchSize, copied to
// the other k-1 sequences, then every sequence greedy-decodes r.MaxTokens tokens
// (no stop strings, no end-of-generation check, no log-probs, no sampler), one
// Decode per step. Only Temperature-free fields of r matter.
func (e *Engine) PlainRun(ctx context.Context, r infer.Request, k int) (PlainRates, error) {
	p := PlainRates{K: k}
	if k < 1 || r.MaxTokens < 1 {
		return p, fmt.Errorf("plain run: k %d and max tokens %d must be at least 1", k, r.MaxTokens)
	}
	if err := e.lock(ctx); err != nil {
		return p, err
	}
	defer e.unlock()
	if e.closed {
		return p, errors.New("engine is closed")
	}
	prompt, err := e.Prompt(r)
	if err != nil {
		return p, err
	}
	toks, err := e.model.Tokenize(prompt, false, true)
	if err != nil {
		return p, err
	}
	if len(e.bos) > 0 && (len(toks) == 0 || toks[0] != e.bos[0]) {
		toks = append(append([]int{}, e.bos...), toks...)
	}
	perSeq := (len(toks) + r.MaxTokens + 1 + 255) / 256 * 256
	fa := ml.FlashAttentionDisabled
	if e.opts.FlashAttention {
		fa = ml.FlashAttentionEnabled
	}
	bs := e.opts.BatchSize
	lctx, err := llama.NewContextWithModel(e.model, llama.NewContextParams(perSeq*k, bs, k, e.opts.Threads, fa, e.opts.KVCacheType))
	if err != nil {
		return p, err
	}
	defer freeContext(lctx)
	disableEmbeddings(lctx)
	batch, err := llama.NewBatch(max(bs, k), 1, 0)
	if err != nil {
		return p, err
	}
	defer batch.Free()

	t0 := time.Now()
	last := 0
	for start := 0; start < len(toks); start += bs {
		end := min(start+bs, len(toks))
		batch.Clear()
		for i := start; i < end; i++ {
			batch.Add(toks[i], nil, i, i == len(toks)-1, 0)
		}
		if err := lctx.Decode(batch); err != nil {
			return p, fmt.Errorf("plain prompt decode: %w", err)
		}
		last = end - start - 1
	}
	p.PromptTokens, p.PromptMs = len(toks), msSince(t0)

	t1 := time.Now()
	for s := 1; s < k; s++ {
		lctx.KvCacheSeqCp(0, s, -1, -1)
	}
	idx := make([]int, k)
	for s := range idx {
		idx[s] = last
	}
	for step := 0; step < r.MaxTokens; step++ {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		batch.Clear()
		for s := 0; s < k; s++ {
			logits := logitsView(lctx, idx[s], e.nVocab)
			if logits == nil {
				return p, errors.New("plain run: no logits")
			}
			idx[s] = batch.NumTokens()
			batch.Add(argmax(logits), nil, len(toks)+step, true, s)
		}
		if err := lctx.Decode(batch); err != nil {
			return p, fmt.Errorf("plain decode: %w", err)
		}
		p.DecodeTokens += k
	}
	p.DecodeMs = msSince(t1)
	return p, nil
}
