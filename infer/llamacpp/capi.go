package llamacpp

/*
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

// Prototypes of llama.cpp functions the llama package links but does not wrap.
// The module's headers are not reachable from this package's cgo flags, so the
// few declarations needed are copied from llama.h at the pinned version (v0.17.4).
struct llama_context;
void llama_free(struct llama_context * ctx);
void llama_set_embeddings(struct llama_context * ctx, bool embeddings);
uint32_t llama_n_ctx_seq(const struct llama_context * ctx);
float * llama_get_logits_ith(struct llama_context * ctx, int32_t i);

// pb_expf is e^x for x <= 0 (clamped at -87): 2^(x log2 e) split into an
// integer power (exponent bits) and a degree-5 polynomial for 2^f on [0, 1);
// relative error below 2e-7. Plain arithmetic, so gcc vectorises the loops.
__attribute__((optimize("O3", "fast-math"))) static inline float pb_expf(float x) {
	x = x < -87.0f ? -87.0f : x;
	float t = x * 1.44269504088896341f;
	float fi = __builtin_floorf(t);
	float f = t - fi;
	float p = 1.8775767e-3f;
	p = p * f + 8.9893397e-3f;
	p = p * f + 5.5826318e-2f;
	p = p * f + 2.4015361e-1f;
	p = p * f + 6.9315308e-1f;
	p = p * f + 9.9999994e-1f;
	union { int32_t i; float f; } u;
	u.i = ((int32_t) fi + 127) << 23;
	return p * u.f;
}

// pb_logits_stats returns the index of the largest logit and log(sum(exp(x - max))).
// fast-math lets gcc vectorise the max and the sum (reassociation).
__attribute__((optimize("O3", "fast-math"))) static int pb_logits_stats(const float * x, int n, float * lse) {
	float m = x[0];
	for (int k = 1; k < n; k++) m = x[k] > m ? x[k] : m;
	int am = 0;
	while (x[am] != m) am++;
	float sum = 0;
	for (int k = 0; k < n; k++) sum += pb_expf(x[k] - m);
	*lse = __builtin_logf(sum);
	return am;
}

typedef struct pb_quantize_params {
    int32_t nthread;
    int ftype;                 // enum llama_ftype
    int output_tensor_type;    // enum ggml_type
    int token_embedding_type;  // enum ggml_type
    bool allow_requantize;
    bool quantize_output_tensor;
    bool only_copy;
    bool pure;
    bool keep_split;
    void * imatrix;
    void * kv_overrides;
    void * tensor_types;
    void * prune_layers;
} pb_quantize_params;

// Same layout as struct llama_model_quantize_params; declared under our own
// type name so it cannot clash with llama.h.
pb_quantize_params llama_model_quantize_default_params(void);
uint32_t llama_model_quantize(const char * fname_inp, const char * fname_out, const pb_quantize_params * params);
*/
import "C"

import (
	"unsafe"

	"github.com/ollama/ollama/llama"
)

// cctx returns the C context inside a llama.Context: the package keeps it as the
// struct's first (unexported) field and offers no way to free it.
func cctx(c *llama.Context) *C.struct_llama_context {
	return *(**C.struct_llama_context)(unsafe.Pointer(c))
}

func freeContext(c *llama.Context) { C.llama_free(cctx(c)) }

func disableEmbeddings(c *llama.Context) { C.llama_set_embeddings(cctx(c), false) }

func ctxPerSeq(c *llama.Context) int { return int(C.llama_n_ctx_seq(cctx(c))) }

// logitsView returns the logits of batch entry i without copying them; valid
// until the next Decode.
func logitsView(c *llama.Context, i, nVocab int) []float32 {
	p := C.llama_get_logits_ith(cctx(c), C.int32_t(i))
	if p == nil {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(p)), nVocab)
}

// logitsStats returns argmax(x) and log(sum(exp(x - max(x)))), so that the
// log-softmax of token i is x[i] - max - lse.
func logitsStats(x []float32) (int, float32) {
	var lse C.float
	am := C.pb_logits_stats((*C.float)(unsafe.Pointer(&x[0])), C.int(len(x)), &lse)
	return int(am), float32(lse)
}

func quantizeFile(in, out string, ftype, threads int) uint32 {
	cin, cout := C.CString(in), C.CString(out)
	defer C.free(unsafe.Pointer(cin))
	defer C.free(unsafe.Pointer(cout))
	p := C.llama_model_quantize_default_params()
	p.ftype = C.int(ftype)
	p.nthread = C.int32_t(threads)
	// Already-quantised inputs are accepted (e.g. Q4_K_M -> Q8_0 for faster batched decode).
	p.allow_requantize = true
	return uint32(C.llama_model_quantize(cin, cout, &p))
}
