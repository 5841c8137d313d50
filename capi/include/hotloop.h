/*
 * hotloop.h - the flat C API of libhotloop.
 *
 * Conventions (see docs/c_api.md):
 *   - Every fallible function returns an hl_status: HL_OK (0) or one HL_ERR_* code, and writes its
 *     results through out-parameters. The codes never change meaning or value.
 *   - After a failure, hl_last_error_message() explains it. The message is thread-local: it
 *     belongs to the thread that made the failing call and stays valid until that thread's next
 *     call into the library.
 *   - No C++ exception ever leaves the library.
 *   - Handles are opaque and typed. Every *_destroy / *_free accepts NULL.
 *   - Heavy functions take an optional hl_control* (NULL = none) for cancellation and progress.
 *
 * This header is valid C99 and C++. The part between the cdef markers is also the single source
 * of the Python package's cffi declarations (pywrapper/build_ffi.py extracts it), so it may only
 * hold what cffi's cdef parser understands: declarations, and #define NAME <integer literal>.
 */
#ifndef HOTLOOP_H
#define HOTLOOP_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  if defined(HOTLOOP_BUILDING)
#    define HL_API __declspec(dllexport)
#  else
#    define HL_API __declspec(dllimport)
#  endif
#else
#  define HL_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- cdef begin ---- */

/* Library version (the Python package's __version__ is this string). */
#define HL_VERSION_MAJOR 0
#define HL_VERSION_MINOR 1
#define HL_VERSION_PATCH 0
/* Bumped whenever a declaration below changes incompatibly; the Python package refuses a
   library whose hl_abi_version() differs from the one it was generated against. */
#define HL_ABI_VERSION 2

/* Status codes. Values are permanent. */
typedef int hl_status;
#define HL_OK 0
#define HL_ERR_INVALID_ARGUMENT 1 /* a value is out of its domain (Python: ValueError)       */
#define HL_ERR_TYPE 2             /* unsupported element type or dtype (TypeError)            */
#define HL_ERR_SHAPE 3            /* sizes or shapes do not fit together (ValueError)         */
#define HL_ERR_OVERFLOW 4         /* a result leaves its type's range (OverflowError)         */
#define HL_ERR_NO_MEMORY 5        /* allocation failed (MemoryError)                          */
#define HL_ERR_DIVISION_BY_ZERO 6 /* division by zero (ZeroDivisionError and ValueError)      */
#define HL_ERR_CLOSED 7           /* the handle was closed (ValueError)                       */
#define HL_ERR_CANCELLED 8        /* the operation's hl_control was cancelled                 */
#define HL_ERR_INTERNAL 9         /* a bug or an unexpected failure (RuntimeError)            */
#define HL_ERR_ENCODING 10        /* malformed text, e.g. invalid UTF-8 (UnicodeError)        */
#define HL_ERR_IO 11              /* operating-system I/O failure; see hl_last_error_errno()  */
#define HL_ERR_TIMEOUT 12         /* a wait ended before the operation did (TimeoutError)     */

/* Element types of the buffers the library reads. Values are permanent. */
typedef int32_t hl_dtype;
#define HL_DTYPE_BOOL 1
#define HL_DTYPE_INT8 2
#define HL_DTYPE_INT16 3
#define HL_DTYPE_INT32 4
#define HL_DTYPE_INT64 5
#define HL_DTYPE_UINT8 6
#define HL_DTYPE_UINT16 7
#define HL_DTYPE_UINT32 8
#define HL_DTYPE_UINT64 9
#define HL_DTYPE_FLOAT32 10
#define HL_DTYPE_FLOAT64 11

/* ---- library ---- */
HL_API const char *hl_version(void);            /* "MAJOR.MINOR.PATCH", static storage */
HL_API int hl_abi_version(void);                /* HL_ABI_VERSION the library was built with */
HL_API const char *hl_last_error_message(void); /* "" when the last call succeeded */
HL_API int hl_last_error_errno(void);           /* errno behind the last HL_ERR_IO, else 0 */
HL_API const char *hl_status_name(hl_status status); /* "HL_ERR_TYPE", ...; static storage */
HL_API size_t hl_dtype_size(hl_dtype dtype);    /* bytes per element; 0 for an unknown dtype */

/* Worker threads of the engine (TBB workers, and the BLAS threads where BLAS is used).
   The default is HOTLOOP_NUM_THREADS from the environment, else the number of cores. */
HL_API hl_status hl_set_num_threads(int n); /* n >= 1 */
HL_API int hl_get_num_threads(void);

/* ---- buffers the library allocates for variable-size results ---- */
typedef struct hl_buffer_s hl_buffer;
HL_API void *hl_buffer_data(const hl_buffer *buf); /* 64-byte aligned; NULL when empty */
HL_API size_t hl_buffer_length(const hl_buffer *buf); /* number of elements */
HL_API hl_dtype hl_buffer_dtype(const hl_buffer *buf);
HL_API void hl_buffer_free(hl_buffer *buf);

/* ---- cancellation, progress and completion ---- */
/* An hl_control follows one operation at a time: run the heavy function on one thread with ctl
   as its last argument; from any other thread, cancel it, read its progress, or wait for it.
   Cancellation is checked at least every few milliseconds of work, so a cancelled operation
   returns HL_ERR_CANCELLED within 100 ms, having freed what it allocated and changed nothing
   (an operation that had passed its last check completes normally). A control is destroyed
   only after its operation returned; reuse it for another operation after hl_control_reset. */
typedef struct hl_control_s hl_control;
HL_API hl_status hl_control_create(hl_control **out);
HL_API void hl_control_destroy(hl_control *ctl);
/* Ask the operation that uses ctl to stop; it returns HL_ERR_CANCELLED at its next check.
   Sticky: an operation started later with this control fails at its first check (until
   hl_control_reset). Safe from any thread. */
HL_API hl_status hl_control_cancel(hl_control *ctl);
HL_API hl_status hl_control_is_cancelled(const hl_control *ctl, int *out);
/* Work done and total work of the operation, in the operation's own units (*done <= *total;
   the total may grow while the operation runs). */
HL_API hl_status hl_control_progress(const hl_control *ctl, uint64_t *done, uint64_t *total);
/* Waits until the operation using ctl has finished (returned, whatever its status): HL_OK when
   it has, HL_ERR_TIMEOUT after timeout_ms milliseconds otherwise (timeout_ms < 0: no limit).
   An operation that has not started yet is waited for too. */
HL_API hl_status hl_control_wait(hl_control *ctl, int64_t timeout_ms);
/* The status the finished operation returned; HL_ERR_INVALID_ARGUMENT if none has finished. */
HL_API hl_status hl_control_result(const hl_control *ctl, hl_status *out);
/* Its error message ("" on success) into buf, NUL-terminated and truncated to buf_size. */
HL_API hl_status hl_control_message(const hl_control *ctl, char *buf, size_t buf_size);
/* Back to a fresh control: not cancelled, no progress, nothing finished. HL_ERR_INVALID_ARGUMENT
   while an operation is running with it. */
HL_API hl_status hl_control_reset(hl_control *ctl);
/* Sleeps `seconds` (0 <= seconds <= 1e9) on the calling thread. Cancelling ctl ends the sleep at
   once with HL_ERR_CANCELLED; progress counts milliseconds. */
HL_API hl_status hl_sleep(double seconds, hl_control *ctl);

/* ---- scalar functions ---- */
/* Decimal text of a + b into buf (NUL-terminated). HL_ERR_OVERFLOW if a + b > UINT64_MAX,
   HL_ERR_INVALID_ARGUMENT if buf is too small (21 bytes always suffice). */
HL_API hl_status hl_sum_as_string(uint64_t a, uint64_t b, char *buf, size_t buf_size);
/* *out = a / b; HL_ERR_DIVISION_BY_ZERO if b == 0. */
HL_API hl_status hl_divide(double a, double b, double *out);

/* ---- reductions ---- */
/* Exact sum of n integers (bool and any integer dtype), as a 128-bit two's-complement value
   *out_hi * 2^64 + *out_lo. Never overflows for n < 2^64. */
HL_API hl_status hl_sum_int(const void *data, size_t n, hl_dtype dtype, int64_t *out_hi,
                            uint64_t *out_lo, hl_control *ctl);
/* Compensated sum of n float32/float64 values, accumulated in double. The result is
   bit-for-bit the same whatever the thread count. Infinities and NaN propagate as in IEEE
   arithmetic. */
HL_API hl_status hl_sum_float(const void *data, size_t n, hl_dtype dtype, double *out,
                              hl_control *ctl);

/* ---- filter + map ---- */
/* [x * 2 for x in data if x >= min], order kept, into a new buffer (*out, same dtype as data).
   The bound is inclusive and typed so that every exact comparison can be expressed: signed
   dtypes use min_int, unsigned dtypes min_uint, float dtypes min_float (NaN keeps nothing).
   For `x > t` pass t + 1 (integers) or nextafter(t, INFINITY) (floats). An integer result
   that leaves the dtype's range is HL_ERR_OVERFLOW; HL_DTYPE_BOOL is HL_ERR_TYPE. */
HL_API hl_status hl_filter_double(const void *data, size_t n, hl_dtype dtype, int64_t min_int,
                                  uint64_t min_uint, double min_float, hl_buffer **out,
                                  hl_control *ctl);

/* ---- DataProcessor: a queue of float64 values processed in fixed-size chunks ---- */
typedef struct hl_processor_s hl_processor;
/* chunk_size >= 1. */
HL_API hl_status hl_processor_create(size_t chunk_size, hl_processor **out);
HL_API void hl_processor_destroy(hl_processor *proc);
/* Appends n values (all or nothing). They are read in place, once: the means of the chunks they
   complete are taken then, and only those means and the values of a partial chunk are kept. */
HL_API hl_status hl_processor_add(hl_processor *proc, const double *values, size_t n,
                                  hl_control *ctl);
/* Appends n values of any dtype, converted to float64 (all or nothing). */
HL_API hl_status hl_processor_add_typed(hl_processor *proc, const void *values, size_t n,
                                        hl_dtype dtype, hl_control *ctl);
/* Removes every full chunk from the front and returns their means, in order, as a float64
   buffer (possibly empty). A partial chunk stays. */
HL_API hl_status hl_processor_process_chunks(hl_processor *proc, hl_buffer **out,
                                             hl_control *ctl);
/* Count, mean and population standard deviation of the values held; 0, 0.0, 0.0 if none. */
HL_API hl_status hl_processor_statistics(const hl_processor *proc, uint64_t *count,
                                         double *mean, double *std, hl_control *ctl);
HL_API hl_status hl_processor_clear(hl_processor *proc);
HL_API hl_status hl_processor_length(const hl_processor *proc, uint64_t *out);
HL_API hl_status hl_processor_chunk_size(const hl_processor *proc, uint64_t *out);

/* ---- arrays: element-wise product, matrix product, one-pass statistics ---- */
/* out[i] = a[i] * b[i] for i < n; a, b and out all of dtype float32, float64, int32 or int64
   (else HL_ERR_TYPE). Floats are IEEE products (NumPy's `a * b` bit for bit). Integer products
   are exact: one that leaves the dtype's range is HL_ERR_OVERFLOW (NumPy would wrap), and then
   *overflow_index (if not NULL) receives the smallest such i. out must not overlap a or b
   (HL_ERR_INVALID_ARGUMENT); after a failure its contents are unspecified. */
HL_API hl_status hl_array_multiply(const void *a, const void *b, void *out, size_t n,
                                   hl_dtype dtype, size_t *overflow_index, hl_control *ctl);
/* out (m x n, row-major, contiguous) = a (m x k) @ b (k x n), float32 (sgemm) or float64
   (dgemm) through OpenBLAS. Each operand is described as BLAS does: with *_column_major == 0,
   element (i, j) is at x[i * ldx + j] (ldx >= columns); otherwise at x[j * ldx + i] (ldx >=
   rows), which is how a transposed or Fortran-order array reaches BLAS without a copy.
   OpenBLAS runs hl_get_num_threads() threads for the call; its process-wide count (shared with
   NumPy) is given back afterwards, and a product another thread starts in OpenBLAS meanwhile
   runs with that count. m, n, k and the leading dimensions must fit in
   an int (HL_ERR_INVALID_ARGUMENT). Not interruptible once BLAS runs. */
HL_API hl_status hl_matrix_multiply(size_t m, size_t n, size_t k, hl_dtype dtype,
                                    const void *a, size_t lda, int a_column_major,
                                    const void *b, size_t ldb, int b_column_major, void *out,
                                    hl_control *ctl);
/* The same product by the seed's naive row-parallel loop: a reference for tests and
   benchmarks, many times slower than hl_matrix_multiply. */
HL_API hl_status hl_matrix_multiply_reference(size_t m, size_t n, size_t k, hl_dtype dtype,
                                              const void *a, size_t lda, int a_column_major,
                                              const void *b, size_t ldb, int b_column_major,
                                              void *out, hl_control *ctl);
/* hl_processor_add for a strided n-dimensional array (a NumPy view): its elements in C order,
   gathered into one float64 array first (one copy). first points at element (0, ..., 0); shape
   and strides (in bytes, possibly negative or zero) have ndim <= 64 entries. All or nothing. */
HL_API hl_status hl_processor_add_strided(hl_processor *proc, const void *first, size_t ndim,
                                          const size_t *shape, const int64_t *strides,
                                          hl_dtype dtype, hl_control *ctl);
/* Statistics of n >= 1 elements of any dtype in one parallel pass: count, mean, sample
   standard deviation (ddof = 1; NaN when n == 1), and the smallest and largest elements,
   written to min and max as one element of dtype each (hl_dtype_size(dtype) bytes). A NaN in
   float data makes every result NaN, as in NumPy. Bit-for-bit the same for every thread count.
   n == 0 is HL_ERR_INVALID_ARGUMENT. */
HL_API hl_status hl_compute_stats(const void *data, size_t n, hl_dtype dtype, uint64_t *count,
                                  double *mean, double *std, void *min, void *max,
                                  hl_control *ctl);
/* ---- images and Monte Carlo ---- */
/* A strided view of an H x W x C image (C = 1, 3 or 4; an H x W image is C = 1) of
   HL_DTYPE_UINT8 or HL_DTYPE_FLOAT32. Strides are in bytes and may be negative, or zero in a
   source. Sides are limited to 2^31 pixels. */
typedef struct hl_image {
    void *data; /* the first channel of pixel (0, 0) */
    int64_t height;
    int64_t width;
    int64_t channels;
    int64_t row_stride;
    int64_t col_stride;
    int64_t channel_stride;
    hl_dtype dtype;
} hl_image;
/* Filters read src and write dst, which has src's dtype, height, width and channel count
   (grayscale: 1 channel) and must not overlap src. Borders follow scipy.ndimage's "reflect" mode
   (d c b a | a b c d | d c b a). uint8 results are rounded to nearest and saturated; a 4th
   (alpha) channel is copied unchanged. Each side of the image must be at least the kernel's size
   (2 * radius + 1; Sobel 3). Errors: HL_ERR_TYPE for another dtype or mismatched dtypes,
   HL_ERR_SHAPE for bad channel counts, sizes or strides, HL_ERR_INVALID_ARGUMENT for bad
   parameters, a NULL pointer or overlapping images. Results do not depend on the thread count. */
/* scipy.ndimage.gaussian_filter(src, sigma, mode="reflect", truncate=4.0) per channel; radius
   int(4 * sigma + 0.5). sigma finite and > 0. */
HL_API hl_status hl_image_gaussian_blur(const hl_image *src, const hl_image *dst, double sigma,
                                        hl_control *ctl);
/* Mean over the (2 * radius + 1)^2 window (scipy.ndimage.uniform_filter); radius >= 0. */
HL_API hl_status hl_image_box_blur(const hl_image *src, const hl_image *dst, int64_t radius,
                                   hl_control *ctl);
/* Unsharp mask src + amount * (src - gaussian(src, sigma)); amount >= 0 and finite in float32
   (at most FLT_MAX: the arithmetic is float32). */
HL_API hl_status hl_image_sharpen(const hl_image *src, const hl_image *dst, double sigma,
                                  double amount, hl_control *ctl);
/* Sobel gradient magnitude per channel, hypot(sobel(axis=0), sobel(axis=1)) as scipy.ndimage. */
HL_API hl_status hl_image_sobel_edges(const hl_image *src, const hl_image *dst, hl_control *ctl);
/* BT.601 luma 0.299 R + 0.587 G + 0.114 B into a 1-channel dst (1 channel: a copy). */
HL_API hl_status hl_image_grayscale(const hl_image *src, const hl_image *dst, hl_control *ctl);
/* Monte Carlo estimate of pi from n_samples >= 1 points: *inside of them fall in the quarter disc,
   *estimate = 4 * inside / n_samples. Point i uses output i of SplitMix64 seeded with seed (high
   31 bits x, low 31 bits y, tested exactly), so the result depends only on n_samples and seed,
   never on the thread count. Cancellable every 2^20 samples. */
HL_API hl_status hl_monte_carlo_pi(uint64_t n_samples, uint64_t seed, uint64_t *inside,
                                   double *estimate, hl_control *ctl);
/* ---- word counting ---- */
/* Counts the words of UTF-8 text: maximal runs of characters other than Python's str.split()
   whitespace (09-0D, 1C-20, U+0085, U+00A0, U+1680, U+2000-200A, U+2028, U+2029, U+202F,
   U+205F, U+3000). Words are counted as written, or with HL_TEXT_LOWER_ASCII their ASCII-only
   words lowercased (str.lower() then only has to be applied to the others). Invalid UTF-8 by
   Python's rules is HL_ERR_ENCODING; the message gives the byte offset of the first malformed
   sequence. A cancelled ctl stops the count at its next 1 MiB block (HL_ERR_CANCELLED).
   *out receives an HL_DTYPE_UINT8 buffer laid out as (uint64_t fields, native endianness):
     n, blob_size, features, counts[n], first_offsets[n], then blob_size bytes holding the n
     distinct words separated by one '\n' (no trailing separator),
   words in order of first occurrence; first_offsets are byte offsets in the input; features
   holds HL_TEXT_SAW_* bits with HL_TEXT_REPORT_FEATURES, else 0. */
#define HL_TEXT_ALLOW_SURROGATES 1 /* accept encoded surrogates ED A0..BF xx ('surrogatepass') */
#define HL_TEXT_SKIP_BOM 2         /* ignore a leading EF BB BF ('utf-8-sig') */
#define HL_TEXT_LOWER_ASCII 4      /* count words made only of ASCII lowercased (A-Z -> a-z) */
/* PyPy 3.9's str.split() whitespace differs from CPython's: these two flags select it. */
#define HL_TEXT_KEEP_INFO_SEPARATORS 8 /* U+001C..U+001F do not split words */
#define HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR 16 /* U+180E splits words */
#define HL_TEXT_REPORT_FEATURES 32 /* fill `features`: what the text holds, among: */
#define HL_TEXT_SAW_NON_ASCII 1
#define HL_TEXT_SAW_INFO_SEPARATOR 2           /* U+001C..U+001F */
#define HL_TEXT_SAW_MONGOLIAN_VOWEL_SEPARATOR 4 /* U+180E */
/* text may be NULL when n == 0. */
HL_API hl_status hl_word_count(const char *text, size_t n, int flags, hl_buffer **out,
                               hl_control *ctl);
/* The same over a file (memory-mapped when it is a regular file). OS failures are HL_ERR_IO
   with hl_last_error_errno() set (ENOENT, EACCES, EISDIR, ...). */
HL_API hl_status hl_word_count_file(const char *path, int flags, hl_buffer **out,
                                    hl_control *ctl);

/* ---- testing the boundary ---- */
/* Fails on purpose, so that bindings can test their error mapping: `what` is an HL_ERR_* code
   (other than HL_ERR_NO_MEMORY) raised as the engine's own exception of that kind, or one of the
   HL_DEBUG_THROW_* values below. Returns the status the failure maps to. */
#define HL_DEBUG_THROW_BAD_ALLOC 100    /* std::bad_alloc -> HL_ERR_NO_MEMORY          */
#define HL_DEBUG_THROW_STD_EXCEPTION 101 /* a std::logic_error -> HL_ERR_INTERNAL       */
#define HL_DEBUG_THROW_NON_STD 102      /* `throw 42;` -> HL_ERR_INTERNAL                */
HL_API hl_status hl_debug_throw(int what);

/* ---- cdef end ---- */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HOTLOOP_H */
