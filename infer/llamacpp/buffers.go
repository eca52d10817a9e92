package llamacpp

/*
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// Declarations copied from ggml.h / ggml-backend.h / llama.h at the pinned
// version (enums as int); the module's headers are not on this package's path.
typedef void (*pb_log_callback)(int level, const char * text, void * user_data);
void llama_log_get(pb_log_callback * log_callback, void ** user_data);
void llama_log_set(pb_log_callback log_callback, void * user_data);

typedef void * pb_dev;
typedef void * pb_reg;
typedef void * pb_buft;
pb_dev ggml_backend_dev_by_type(int type); // 0 = GGML_BACKEND_DEVICE_TYPE_CPU
pb_reg ggml_backend_dev_backend_reg(pb_dev device);
void * ggml_backend_reg_get_proc_address(pb_reg reg, const char * name);
const char * ggml_backend_buft_name(pb_buft buft);
typedef pb_buft * (*pb_get_extra_bufts)(pb_dev device);

// pb_cpu_extra_bufts writes the names of the CPU device's extra buffer types
// (repack, AMX, ...), newline-separated, into out; returns how many.
static int pb_cpu_extra_bufts(char * out, size_t n) {
	out[0] = 0;
	pb_dev dev = ggml_backend_dev_by_type(0);
	if (!dev) return -1;
	pb_get_extra_bufts get = (pb_get_extra_bufts) ggml_backend_reg_get_proc_address(ggml_backend_dev_backend_reg(dev), "ggml_backend_dev_get_extra_bufts");
	if (!get) return 0;
	int count = 0;
	for (pb_buft * b = get(dev); b && *b; b++, count++) {
		strncat(out, ggml_backend_buft_name(*b), n - strlen(out) - 1);
		strncat(out, "\n", n - strlen(out) - 1);
	}
	return count;
}

// A log tap: while installed, it keeps llama.cpp's messages in a buffer (all of
// them, or only the "<buffer> model buffer size = <MiB> MiB" lines printed once
// per weight buffer at load; the last 8 KiB when they do not fit) and forwards
// them to the callback it replaced (the binding's) unless told to hold them back.
static pthread_mutex_t pb_tap_mu = PTHREAD_MUTEX_INITIALIZER;
static pb_log_callback pb_prev_cb;
static void * pb_prev_ud;
static char pb_tap_buf[8192];
static int pb_tap_all, pb_tap_forward;

static void pb_tap_keep(const char * text) {
	size_t cap = sizeof(pb_tap_buf) - 1, n = strlen(text), have = strlen(pb_tap_buf);
	if (n > cap) { text += n - cap; n = cap; }
	if (have + n > cap) {
		size_t drop = have + n - cap;
		memmove(pb_tap_buf, pb_tap_buf + drop, have - drop + 1);
		have -= drop;
	}
	memcpy(pb_tap_buf + have, text, n + 1);
}

static void pb_tap_cb(int level, const char * text, void * ud) {
	if (text && (pb_tap_all || strstr(text, "model buffer size"))) {
		pthread_mutex_lock(&pb_tap_mu);
		pb_tap_keep(text);
		pthread_mutex_unlock(&pb_tap_mu);
	}
	if (pb_tap_forward && pb_prev_cb) pb_prev_cb(level, text, pb_prev_ud);
}

static void pb_tap_start(int all, int forward) {
	pb_tap_buf[0] = 0;
	pb_tap_all = all;
	pb_tap_forward = forward;
	llama_log_get(&pb_prev_cb, &pb_prev_ud);
	llama_log_set(pb_tap_cb, NULL);
}

static void pb_tap_stop(void) { llama_log_set(pb_prev_cb, pb_prev_ud); }

// pb_tap_text returns what the tap kept (static storage, valid until the next start).
static const char * pb_tap_text(void) { return pb_tap_buf; }
*/
import "C"

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// CPUExtraBufferTypes names the extra buffer types the CPU backend registers,
// such as "CPU_REPACK" (interleaved Q4_0/Q4_K/IQ4_NL weights for the fast
// AVX2 kernels). Empty when the build left them out (no -DGGML_USE_CPU_REPACK).
func CPUExtraBufferTypes() []string {
	backendInit()
	buf := make([]byte, 1024)
	n := C.pb_cpu_extra_bufts((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
	if n <= 0 {
		return nil
	}
	return strings.Fields(C.GoString((*C.char)(unsafe.Pointer(&buf[0]))))
}

// tapMu serialises loads and quantizations: the log tap is process-wide.
var tapMu sync.Mutex

// withLogTap runs fn while the log tap is installed and returns what it kept:
// every message (all) or only the buffer-size lines; forward false holds the
// messages back from the binding, which would print them.
func withLogTap(all, forward bool, fn func()) string {
	tapMu.Lock()
	defer tapMu.Unlock()
	C.pb_tap_start(cBool(all), cBool(forward))
	func() {
		defer C.pb_tap_stop()
		fn()
	}()
	return C.GoString(C.pb_tap_text())
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

var bufferLine = regexp.MustCompile(`(\S+) model buffer size = +([0-9.]+) MiB`)

// withBufferTap runs load while recording the weight buffers llama.cpp reports,
// returning MiB by buffer type name ("CPU_REPACK", "CPU_Mapped", "CUDA0", ...).
func withBufferTap(load func()) map[string]float64 {
	text := withLogTap(false, true, load)
	out := map[string]float64{}
	for _, m := range bufferLine.FindAllStringSubmatch(text, -1) {
		if v, err := strconv.ParseFloat(m[2], 64); err == nil {
			out[m[1]] += v
		}
	}
	return out
}
