/* Stub of miniaudio for building github.com/ollama/ollama/llama.
 * The Go module zip drops llama.cpp's vendor/ folder; miniaudio is only used by
 * the multimodal helper to decode audio, which this project never does.
 * Every decode fails with MA_ERROR, so audio input is refused cleanly. */
#ifndef POLARSBENCH_MINIAUDIO_STUB_H
#define POLARSBENCH_MINIAUDIO_STUB_H
#include <stddef.h>
typedef int ma_result;
typedef unsigned long long ma_uint64;
typedef enum { ma_format_f32 = 5 } ma_format;
typedef enum { ma_encoding_format_wav = 1 } ma_encoding_format;
#define MA_SUCCESS 0
#define MA_ERROR (-1)
typedef struct { ma_format format; unsigned channels; unsigned sampleRate; } ma_decoder_config;
typedef struct { int unused; } ma_decoder;
typedef struct { int unused; } ma_encoder_config;
typedef struct { int unused; } ma_encoder;
static inline ma_decoder_config ma_decoder_config_init(ma_format f, unsigned c, unsigned r) { ma_decoder_config d; d.format = f; d.channels = c; d.sampleRate = r; return d; }
static inline ma_result ma_decoder_init_memory(const void *b, size_t n, const ma_decoder_config *c, ma_decoder *d) { (void)b; (void)n; (void)c; (void)d; return MA_ERROR; }
static inline ma_result ma_decoder_get_length_in_pcm_frames(ma_decoder *d, ma_uint64 *n) { (void)d; *n = 0; return MA_ERROR; }
static inline ma_result ma_decoder_read_pcm_frames(ma_decoder *d, void *o, ma_uint64 n, ma_uint64 *r) { (void)d; (void)o; (void)n; *r = 0; return MA_ERROR; }
static inline ma_result ma_decoder_uninit(ma_decoder *d) { (void)d; return MA_SUCCESS; }
static inline ma_encoder_config ma_encoder_config_init(ma_encoding_format e, ma_format f, unsigned c, unsigned r) { ma_encoder_config x; (void)e; (void)f; (void)c; (void)r; x.unused = 0; return x; }
static inline ma_result ma_encoder_init_file(const char *p, const ma_encoder_config *c, ma_encoder *e) { (void)p; (void)c; (void)e; return MA_ERROR; }
static inline ma_result ma_encoder_write_pcm_frames(ma_encoder *e, const void *f, ma_uint64 n, ma_uint64 *w) { (void)e; (void)f; (void)n; if (w) *w = 0; return MA_ERROR; }
static inline void ma_encoder_uninit(ma_encoder *e) { (void)e; }
#endif
