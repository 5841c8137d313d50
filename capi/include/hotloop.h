/*
 * hotloop.h - the flat C API of libhotloop.
 *
 * Conventions (see docs/c_api.md):
 *   - Every fallible function returns an hl_status: HL_OK (0) or one HL_ERR_* code, and writes its
 *     results through out-parameters. The codes never change meaning or value.
 *   - After a failure, hl_last_error_message() explains it. The message is thread-local: it
 *     belongs to the thread that made the failing call and stays valid until that thread's next
 *     call that returns an hl_status (functions that return their value directly leave it).
 *   - No C++ exception ever leaves the library.
 *   - Handles are opaque and typed. Every *_destroy / *_free accepts NULL.
 *   - Heavy functions take an optional hl_control* (NULL = none) for cancellation and progress.
 *   - At each function: who owns and frees each out-parameter, whether outputs are written on
 *     failure, and what may run on several threads at once. Unless it says otherwise: plain
 *     out-parameters (numbers, records) are the caller's and are written only on HL_OK; an
 *     out-parameter that receives something to free (hl_buffer **, a handle **) is set to NULL
 *     first, so it is NULL after any failure; input arrays and strings are the caller's, read
 *     during the call only, never kept.
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
#define HL_ABI_VERSION 5

/* Status codes. Values are permanent. */
typedef int hl_status;
#define HL_OK 0
#define HL_ERR_INVALID_ARGUMENT 1 /* a value is out of its domain (Python: ValueError)       */
#define HL_ERR_TYPE 2             /* unsupported element type or dtype (TypeError)            */
#define HL_ERR_SHAPE 3            /* sizes or shapes do not fit together (ValueError)         */
#define HL_ERR_OVERFLOW 4         /* a result leaves its type's range (OverflowError)         */
#define HL_ERR_NO_MEMORY 5        /* allocation failed (MemoryError)                          */
#define HL_ERR_DIVISION_BY_ZERO 6 /* division by zero (ZeroDivisionError and ValueError)      */
#define HL_ERR_CLOSED 7           /* the handle was closed (ValueError): for bindings, such as */
                                  /* Python's ClosedHandleError; no C function returns it but */
                                  /* hl_debug_throw (a destroyed handle is UB in C)           */
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

/* A strided n-dimensional array: how functions that read or write an array receive it (DLPack's
   DLTensor without device and byte offset; a NumPy array's __array_interface__ maps onto it).
   The caller owns the view, its shape and strides arrays and the memory they describe; the
   library reads them during the call only and never keeps a pointer to any of them.
     data:    element (0, ..., 0); may be NULL only when some shape[i] == 0
     ndim:    0 .. HL_VIEW_MAX_NDIM (0: a single element)
     shape:   ndim sizes >= 0 (may be NULL when ndim == 0)
     strides: ndim strides in bytes, any sign, 0 allowed in a source; NULL: C-contiguous
   data and strides need not be multiples of the element size: an unaligned view (NumPy's
   frombuffer at an odd offset, a field of a packed record) is accepted by every function and
   gives the same result, read (or written) through one copy where a kernel needs aligned
   elements (hl_filter_double, hl_array_multiply, the image filters).
   Functions say which dimensions, dtypes and layouts they accept. HL_ERR_SHAPE: an element
   count whose bytes pass INT64_MAX, or a non-empty view whose element offsets
   ((shape[i] - 1) * strides[i], summed over the strides of each sign) or byte span (lowest to
   one past the highest byte) do not fit in int64 or wrap around the address space; computed
   without overflow, so any int64 stride (INT64_MAX, INT64_MIN) is judged correctly, with a
   message naming the dimension. A view with a side of 0 touches no memory: any strides (and
   NULL data) are accepted. */
#define HL_VIEW_MAX_NDIM 64
typedef struct hl_view {
    void *data;
    hl_dtype dtype;
    int32_t ndim;
    const int64_t *shape;
    const int64_t *strides;
} hl_view;

/* ---- library ---- */
/* These never fail and are thread-safe. Strings in static storage are valid while the library
   is loaded and never freed; hl_last_error_message's belongs to the calling thread and stays
   valid until that thread's next call that returns an hl_status (copy it to keep it). */
HL_API const char *hl_version(void);            /* "MAJOR.MINOR.PATCH", static storage */
HL_API int hl_abi_version(void);                /* HL_ABI_VERSION the library was built with */
HL_API const char *hl_last_error_message(void); /* "" when the last call succeeded */
HL_API int hl_last_error_errno(void);           /* errno behind the last HL_ERR_IO, else 0 */
HL_API const char *hl_status_name(hl_status status); /* "HL_OK", "HL_ERR_TYPE", ...; static
                                                        storage; "HL_ERR_UNKNOWN" for a code
                                                        that is none of the above */
HL_API size_t hl_dtype_size(hl_dtype dtype);    /* bytes per element; 0 for an unknown dtype */

/* Worker threads of the engine (TBB workers, and the BLAS threads where BLAS is used).
   The default is HOTLOOP_NUM_THREADS from the environment when it holds an integer in
   1 .. 4096 (anything else is ignored), else the number of cores.
   hl_set_num_threads: 1 <= n <= 4096 (else HL_ERR_INVALID_ARGUMENT, the count unchanged); more
   than the CPUs the process may use is accepted and reported by hl_get_num_threads, though no
   more threads than those CPUs run. It applies to
   the library's own task arena only (never to other TBB users or to OpenBLAS outside
   hl_matrix_multiply) and to calls that start afterwards; calls already running finish with
   the count they began with. Both are thread-safe; results never depend on the count. */
HL_API hl_status hl_set_num_threads(int n);
HL_API int hl_get_num_threads(void);

/* ---- configuration: what the library was built with and chose at run time ----
   hotloop.show_config() and `hotloop info` print these. String keys (hl_info_string): */
#define HL_INFO_LIBRARY_PATH 1 /* the file this library was loaded from                      */
#define HL_INFO_SIMD_LEVEL 2   /* instruction set of the hot kernels, picked at first use:
                                  "avx512", "avx2" or "baseline" (x86-64 SSE2); the
                                  HOTLOOP_SIMD_LEVEL environment variable ("avx2",
                                  "baseline", any case) lowers it, never raises it          */
#define HL_INFO_COMPILER 3     /* e.g. "GCC 12.2.0"                                          */
#define HL_INFO_TBB_VERSION 4  /* oneTBB's run-time version, e.g. "2021.8"                   */
#define HL_INFO_TBB_BUILD_VERSION 5 /* the oneTBB version the library was compiled against  */
#define HL_INFO_TBB_PATH 6     /* the file TBB's code runs from (a wheel's bundled copy, or
                                  the system's)                                              */
#define HL_INFO_BLAS_NAME 7    /* "OpenBLAS"                                                 */
#define HL_INFO_BLAS_VERSION 8 /* e.g. "0.3.21"                                              */
#define HL_INFO_BLAS_CONFIG 9  /* openblas_get_config(): build options and kernel            */
#define HL_INFO_BLAS_CORE 10   /* the BLAS kernel chosen for this CPU, e.g. "Haswell"        */
#define HL_INFO_BLAS_PATH 11   /* the file the BLAS code runs from                           */
/* Integer keys (hl_info_int): */
#define HL_INFO_TBB_DEFAULT_CONCURRENCY 32 /* threads TBB would use by default: the CPUs this
                                              process may run on                             */
#define HL_INFO_BLAS_NUM_THREADS 33 /* OpenBLAS's thread count now (hl_matrix_multiply sizes
                                       it to hl_get_num_threads() for its own calls)         */
/* *out receives a NUL-terminated string in static storage, valid while the library is loaded;
   never free it. Unknown key (or an integer key): HL_ERR_INVALID_ARGUMENT, *out unchanged.
   Thread-safe. */
HL_API hl_status hl_info_string(int key, const char **out);
/* *out receives the value of an integer key. Unknown key (or a string key):
   HL_ERR_INVALID_ARGUMENT, *out unchanged. Thread-safe. */
HL_API hl_status hl_info_int(int key, int64_t *out);

/* ---- buffers the library allocates for variable-size results ---- */
/* A function that returns an hl_buffer gives it to the caller, who frees it with hl_buffer_free
   exactly once (NULL is accepted). Its data stays valid and unmoved until then, so it may be
   handed to another owner without a copy. A buffer is immutable: any number of threads may read
   one at once; free it only after all of them are done. The accessors never fail (NULL gives
   NULL, 0 and 0). */
typedef struct hl_buffer_s hl_buffer;
HL_API void *hl_buffer_data(const hl_buffer *buf); /* 64-byte aligned; NULL when empty */
HL_API size_t hl_buffer_length(const hl_buffer *buf); /* number of elements, not bytes */
HL_API hl_dtype hl_buffer_dtype(const hl_buffer *buf); /* HL_DTYPE_* of the elements */
HL_API void hl_buffer_free(hl_buffer *buf);

/* ---- cancellation, progress and completion ---- */
/* An hl_control follows one operation at a time: run the heavy function on one thread with ctl
   as its last argument; from any other thread, cancel it, read its progress, or wait for it.
   Cancellation is checked at least every few milliseconds of work, so a cancelled operation
   returns HL_ERR_CANCELLED within 100 ms, having freed what it allocated and changed nothing
   (an operation that had passed its last check completes normally). A control is destroyed
   only after its operation returned; reuse it for another operation after hl_control_reset.
   Thread safety: every hl_control_* function below may be called from any thread while the
   operation runs, except hl_control_destroy (only after it returned) and hl_control_reset
   (refused while it runs). A second operation started with a control that is in use fails with
   HL_ERR_INVALID_ARGUMENT. */
typedef struct hl_control_s hl_control;
/* *out: a new control, owned by the caller and freed with hl_control_destroy (exactly once,
   after its operation returned; NULL is accepted); NULL after a failure. */
HL_API hl_status hl_control_create(hl_control **out);
HL_API void hl_control_destroy(hl_control *ctl);
/* Ask the operation that uses ctl to stop; it returns HL_ERR_CANCELLED at its next check.
   Sticky: an operation started later with this control fails at its first check (until
   hl_control_reset). Safe from any thread. */
HL_API hl_status hl_control_cancel(hl_control *ctl);
/* *out = 1 if cancelled, else 0; written only on HL_OK. */
HL_API hl_status hl_control_is_cancelled(const hl_control *ctl, int *out);
/* Work done and total work of the operation, in the operation's own units (*done <= *total;
   the total may grow while the operation runs). Both written only on HL_OK. */
HL_API hl_status hl_control_progress(const hl_control *ctl, uint64_t *done, uint64_t *total);
/* For a caller that runs one operation as several calls with ctl (hotloop's Python package
   decodes a file in pieces and counts each): sets the progress to done of total, in the
   caller's own units; from then on, until hl_control_reset, the functions run with ctl no
   longer count theirs, so hl_control_progress reports the caller's alone. HL_ERR_INVALID_ARGUMENT
   (nothing changed) if done > total. No outputs; safe from any thread. */
HL_API hl_status hl_control_set_progress(hl_control *ctl, uint64_t done, uint64_t total);
/* Waits until the operation using ctl has finished (returned, whatever its status): HL_OK when
   it has, HL_ERR_TIMEOUT after timeout_ms milliseconds otherwise (timeout_ms < 0: no limit).
   An operation that has not started yet is waited for too. Any number of threads may wait. */
HL_API hl_status hl_control_wait(hl_control *ctl, int64_t timeout_ms);
/* The status the finished operation returned (*out, written only on HL_OK);
   HL_ERR_INVALID_ARGUMENT if none has finished. */
HL_API hl_status hl_control_result(const hl_control *ctl, hl_status *out);
/* The finished operation's error message ("" on success, and while none has finished: after
   hl_control_reset, or once another operation started) into the caller's buf, NUL-terminated
   and truncated to buf_size (>= 1; else HL_ERR_INVALID_ARGUMENT and buf untouched). */
HL_API hl_status hl_control_message(const hl_control *ctl, char *buf, size_t buf_size);
/* Back to a fresh control: not cancelled, no progress, nothing finished. HL_ERR_INVALID_ARGUMENT
   (the control unchanged) while an operation is running with it. */
HL_API hl_status hl_control_reset(hl_control *ctl);
/* Sleeps `seconds` (0 <= seconds <= 1e9) on the calling thread. Cancelling ctl ends the sleep at
   once with HL_ERR_CANCELLED; progress counts milliseconds. No outputs; thread-safe. */
HL_API hl_status hl_sleep(double seconds, hl_control *ctl);

/* ---- scalar functions ---- */
/* Pure functions: no shared state, thread-safe. */
/* Decimal text of a + b into the caller's buf (NUL-terminated). HL_ERR_OVERFLOW if a + b >
   UINT64_MAX, HL_ERR_INVALID_ARGUMENT if buf is too small (21 bytes always suffice); buf is
   written only on HL_OK. */
HL_API hl_status hl_sum_as_string(uint64_t a, uint64_t b, char *buf, size_t buf_size);
/* *out = a / b; HL_ERR_DIVISION_BY_ZERO if b == 0. *out is written only on HL_OK. */
HL_API hl_status hl_divide(double a, double b, double *out);

/* ---- exact sums: parallel_sum and its mergeable partials ---- */
/* Result of hl_sum: which kind of sum, and its value. */
typedef struct hl_sum_result {
    int32_t is_integer; /* 1: integer or bool data, the sum is hi * 2^64 + lo; 0: float data */
    int64_t hi;         /* integer sum, high 64 bits (two's complement with lo)              */
    uint64_t lo;        /* integer sum, low 64 bits                                           */
    double value;       /* float sum (is_integer == 0)                                        */
} hl_sum_result;
/* Sum of every element of a view of any ndim, dtype and strides (dense layouts are read in
   place in memory order: exact sums do not depend on the order). Bool: nonzero bytes count 1.
   Integers: exact (never overflows for fewer than 2^64 elements). Floats (float32 is widened
   exactly): Python's math.fsum of the elements, i.e. the exact sum correctly rounded (ties to
   even; an exact zero is +0.0), NaN if a NaN or both infinities occur, +-inf for infinities of
   one sign; where math.fsum itself raises ("intermediate overflow" of a running sum of finite
   values beyond the double range) the result is the sum of the elements in C order (IEEE
   additions from 0.0, left to right: Python's sum() before 3.12), as for a Python list. Bit-for-bit the same for every thread
   count and block split. An empty view gives 0 (is_integer follows the dtype).
   out: caller-owned; written only on HL_OK. Reads data only: safe to call from several threads. */
HL_API hl_status hl_sum(const hl_view *data, hl_sum_result *out, hl_control *ctl);

/* A mergeable exact sum (a superaccumulator): the partial result of hl_sum over one part of the
   data. A plain value of fixed size: declare, copy or memcpy it freely; nothing to free. Records
   that no hl_exact_sum_* function wrote are refused (HL_ERR_INVALID_ARGUMENT). Not
   synchronized: concurrent calls may read one record but not write it. */
#define HL_EXACT_SUM_WORDS 80
typedef struct hl_exact_sum {
    uint64_t state[HL_EXACT_SUM_WORDS];
} hl_exact_sum;
#define HL_EXACT_SUM_EMPTY 0   /* nothing was summed (value 0, an int for Python)             */
#define HL_EXACT_SUM_INTEGER 1 /* only integer data: the value is an integer                  */
#define HL_EXACT_SUM_FLOAT 2   /* float data: the value is a double                            */
#define HL_EXACT_SUM_INTEGER_BYTES 144 /* an integer value as little-endian two's complement  */
#define HL_EXACT_SUM_BYTES 608         /* the serialized record                                */
/* *out = the exact sum of a view (as hl_sum reads it; NaN and infinities are counted). An empty
   float view gives a HL_EXACT_SUM_FLOAT record. *out is written only on HL_OK. */
HL_API hl_status hl_exact_sum_of(const hl_view *data, hl_exact_sum *out, hl_control *ctl);
/* *a = *a + *b, exactly (the order of merges never matters). A record holds sums of magnitude
   below 2^1151 (far above any data: 2^64 values of DBL_MAX are 2^1088); a merge that would reach
   it (a record merged into itself ~1,150 times) is HL_ERR_OVERFLOW. On failure *a is unchanged. */
HL_API hl_status hl_exact_sum_merge(hl_exact_sum *a, const hl_exact_sum *b);
/* The value: *kind = HL_EXACT_SUM_*; for HL_EXACT_SUM_FLOAT, *value = the sum as hl_sum's float
   rule gives it, except that a running sum leaving the double range is never an error: the exact
   sum is rounded (+-inf when it is beyond the range); for HL_EXACT_SUM_INTEGER (and EMPTY), the
   integer is written to integer_bytes (HL_EXACT_SUM_INTEGER_BYTES bytes, may be NULL) and
   *value = that integer correctly rounded to a double. Outputs are written only on HL_OK. */
HL_API hl_status hl_exact_sum_value(const hl_exact_sum *s, int32_t *kind, double *value,
                                    uint8_t *integer_bytes);
/* The record as HL_EXACT_SUM_BYTES bytes: versioned, little-endian, canonical (equal sums give
   equal bytes), into the caller's out (HL_EXACT_SUM_BYTES bytes), written only on HL_OK. */
HL_API hl_status hl_exact_sum_to_bytes(const hl_exact_sum *s, uint8_t *out);
/* Reads bytes written by hl_exact_sum_to_bytes; anything else (another size, version or a
   corrupt record) is HL_ERR_INVALID_ARGUMENT, a well-formed record of a sum beyond 2^1151 (see
   hl_exact_sum_merge) HL_ERR_OVERFLOW; *out is then unchanged. */
HL_API hl_status hl_exact_sum_from_bytes(const uint8_t *data, size_t size, hl_exact_sum *out);

/* ---- filter + map ---- */
/* [x * 2 for x in src if x >= min] over a view of any shape and strides, read in C order (a
   strided or unaligned view: one contiguous copy inside the call), order kept, into a new buffer of
   dtype out_dtype: src's own dtype, or a wider one in which every 2 * x is exact (for callers
   whose numbers are unbounded, such as Python's): HL_DTYPE_BOOL and the integer dtypes of at
   most 32 bits -> HL_DTYPE_INT64 (bool only so: its elements are 0 or 1, any nonzero byte being
   1, compared with min_int), and HL_DTYPE_FLOAT32 -> HL_DTYPE_FLOAT64. Another pair is
   HL_ERR_TYPE. The bound is inclusive and typed so that every exact comparison can be
   expressed: signed dtypes (and bool) use min_int, unsigned dtypes min_uint, float dtypes
   min_float (NaN keeps nothing). For `x > t` pass t + 1 (integers) or nextafter(t, INFINITY)
   (floats). An integer result that leaves out_dtype's range is HL_ERR_OVERFLOW; a float
   result beyond the float range is +-inf with HL_OK, as NumPy's x * 2.
   Ownership: src and its memory stay the caller's and are only read during the call; on HL_OK
   *out is a new buffer the caller frees with hl_buffer_free; on failure *out is set to NULL.
   Thread safety: any number of calls may run at once, also over the same src. */
HL_API hl_status hl_filter_double(const hl_view *src, hl_dtype out_dtype, int64_t min_int,
                                  uint64_t min_uint, double min_float, hl_buffer **out,
                                  hl_control *ctl);

/* ---- DataProcessor: a queue of float64 values processed in fixed-size chunks ---- */
/* A processor holds the means of its full chunks, the statistics of every value held, and the
   values of its last incomplete block (at most 32767): never the whole queue. Its state is a
   function of the sequence of values held, not of how they were added: any split into
   hl_processor_add calls or partials gives bit-identical results. Every function is safe to call
   on one processor from several threads at once (an internal mutex serializes them); every
   mutation is all or nothing (a failed or cancelled call leaves the processor as it was). */
typedef struct hl_processor_s hl_processor;
/* chunk_size >= 1. *out: a new processor, freed with hl_processor_destroy; NULL on failure. */
HL_API hl_status hl_processor_create(size_t chunk_size, hl_processor **out);
/* Frees proc (NULL is accepted): exactly once, after every call on it returned. */
HL_API void hl_processor_destroy(hl_processor *proc);
/* Appends the view's elements in C order, converted to float64 (bool: nonzero is 1.0). A
   C-contiguous float64 view is read in place, once; any other is copied once. The means of the
   chunks completed are taken as the values are read. All or nothing: on failure (cancellation
   included) the processor holds what it held; values stays the caller's, read during the call.
   HL_ERR_OVERFLOW if the processor would hold more than 2^64 - 1 values (only a state read from
   forged bytes holds enough to get there). */
HL_API hl_status hl_processor_add(hl_processor *proc, const hl_view *values, hl_control *ctl);
/* Removes every full chunk from the front and returns their means, in order, as a new float64
   buffer (*out, possibly empty; free with hl_buffer_free; NULL on failure). Each mean is the
   exact sum of the chunk divided by chunk_size, rounded once. A partial chunk stays. */
HL_API hl_status hl_processor_process_chunks(hl_processor *proc, hl_buffer **out,
                                             hl_control *ctl);
/* Count (every value held), mean (the exact sum / count, rounded once) and population standard
   deviation (within 1 ulp of the correctly rounded one) of the values held; 0, 0.0, 0.0 if
   none. NaN propagates; infinities give std NaN and mean +-inf (NaN for both signs). Outputs are
   written only on HL_OK. */
HL_API hl_status hl_processor_statistics(const hl_processor *proc, uint64_t *count,
                                         double *mean, double *std, hl_control *ctl);
/* Removes every value held (the chunk size stays). */
HL_API hl_status hl_processor_clear(hl_processor *proc);
/* *out = the number of values held / the chunk size; written only on HL_OK. */
HL_API hl_status hl_processor_length(const hl_processor *proc, uint64_t *out);
HL_API hl_status hl_processor_chunk_size(const hl_processor *proc, uint64_t *out);
/* The processor's state as a versioned little-endian byte string: *out, a new HL_DTYPE_UINT8
   buffer (free with hl_buffer_free; NULL on failure). */
HL_API hl_status hl_processor_to_bytes(const hl_processor *proc, hl_buffer **out);
/* A new processor (*out, freed with hl_processor_destroy; NULL on failure) from bytes written by
   hl_processor_to_bytes; anything else is HL_ERR_INVALID_ARGUMENT. */
HL_API hl_status hl_processor_from_bytes(const uint8_t *data, size_t size, hl_processor **out);
/* Distributed adds (e.g. one Dask partition each): the work of adding `values` to a processor of
   chunk_size whose values, plus those of the partitions before this one, number `offset` - done
   without the processor, on any machine. *out: a new HL_DTYPE_UINT8 buffer holding the
   serialized partial (free with hl_buffer_free; NULL on failure). It keeps the values only where
   a chunk or block straddles the partition's ends (at most 65534 of them), the means of the
   chunks inside, and the statistics of the blocks inside. Reads values only: thread-safe. */
HL_API hl_status hl_processor_partial(const hl_view *values, uint64_t chunk_size,
                                      uint64_t offset, hl_buffer **out, hl_control *ctl);
/* Adds n serialized partials (partials[i] of sizes[i] bytes), in order: the processor ends as
   one hl_processor_add of all their values would leave it, bit for bit. All or nothing.
   HL_ERR_INVALID_ARGUMENT for a record that is not a partial, one of another chunk_size, or
   offsets that do not follow on from the processor's length and from each other, compared
   modulo the block period (the values of one canonical block: as many whole chunks as fit
   32768 values, or chunk_size when chunks are longer): a partial depends on its offset only
   through that phase and keeps nothing else of it, so an offset off by a multiple of the period
   is not detected, and the add then leaves the state an add at the right offset gives.
   HL_ERR_OVERFLOW if the processor would hold more than 2^64 - 1 values. The partials stay the
   caller's, read during the call only. */
HL_API hl_status hl_processor_add_partials(hl_processor *proc, const uint8_t *const *partials,
                                           const size_t *sizes, size_t n, hl_control *ctl);

/* ---- arrays: element-wise product, matrix product ---- */
/* out = a * b element by element: three views of the same shape (any ndim) and the same dtype,
   float32, float64, int32 or int64 (else HL_ERR_TYPE; shapes that differ are HL_ERR_SHAPE). Any
   strides (zero strides in a and b only): views sharing one dense layout (C, Fortran, ...) are
   read and written in place, others in C-order blocks. Floats are IEEE products (NumPy's
   `a * b` bit for bit). Integer products are exact: one that leaves the dtype's range is
   HL_ERR_OVERFLOW (NumPy would wrap), and then *overflow_index (if not NULL) receives the C-order
   flat index of the first such element in C order (unravel it with the shape in C order).
   The byte range out spans (first to last byte of its elements) must overlap neither a's nor
   b's, so interleaved views (out the odd elements, a the even ones of one array) are refused
   too, and out's strides must keep its elements apart: sorted by |stride|, each axis must step
   past all that the axes before it span (HL_ERR_INVALID_ARGUMENT).
   Ownership: the caller owns the three views and their memory; the library reads a and b and
   writes out during the call only and keeps no pointer. *overflow_index is written only on
   HL_ERR_OVERFLOW. On failure out's contents are unspecified (a cancelled or overflowing call
   may have written part of it); a and b are never written.
   Thread safety: any number of calls may run at once; an out must not be written by two calls
   at once, nor read while a call writes it. */
HL_API hl_status hl_array_multiply(const hl_view *a, const hl_view *b, const hl_view *out,
                                   size_t *overflow_index, hl_control *ctl);
/* out (m x n) = a (m x k) @ b (k x n): three 2-D views (else HL_ERR_SHAPE) of one dtype, float32
   (sgemm) or float64 (dgemm) through OpenBLAS (any other dtype, or dtypes that differ, is
   HL_ERR_TYPE; integer data must be converted by the caller). a.shape[1] != b.shape[0] is
   HL_ERR_SHAPE ("Incompatible dimensions for matrix multiplication"), as is an out that is not
   m x n. Strides are read as BLAS does: an operand whose column stride is one element is passed
   row-major, one whose row stride is one element (a transposed or Fortran-order array)
   column-major, with the other stride as the leading dimension (a whole number of elements,
   at most INT_MAX): no copy. Any other layout (negative, zero or unaligned strides) is copied
   once into C order inside the call. An out in either BLAS layout is written in place (a
   column-major out as out^T = b^T @ a^T), any other through one copy. The byte ranges of out
   and of a and b must not overlap (interleaved views included), and out's strides must keep its
   elements apart as for hl_array_multiply (HL_ERR_INVALID_ARGUMENT). m, n and k must fit in an int
   (HL_ERR_INVALID_ARGUMENT).
   OpenBLAS runs hl_get_num_threads() threads for the call; its process-wide count (shared with
   NumPy) is given back afterwards, and a product another thread starts in OpenBLAS meanwhile
   runs with that count. Cancellation is checked once, before BLAS runs (BLAS itself cannot be
   interrupted).
   Ownership: the caller owns the views and their memory; the library reads a and b and writes
   out during the call only and keeps no pointer. On failure out's contents are unspecified; a
   and b are never written.
   Thread safety: as hl_array_multiply. */
HL_API hl_status hl_matrix_multiply(const hl_view *a, const hl_view *b, const hl_view *out,
                                    hl_control *ctl);
/* ---- statistics: compute_stats and its mergeable partials ---- */
/* What a NaN does (scipy.stats' nan_policy). */
#define HL_NAN_PROPAGATE 0 /* every result NaN, as NumPy's mean/std/min/max                  */
#define HL_NAN_OMIT 1      /* left out, as NumPy's nanmean/nanstd/nanmin/nanmax; count of the rest */
#define HL_NAN_RAISE 2     /* HL_ERR_INVALID_ARGUMENT                                        */
/* Results of hl_compute_stats and hl_moments_finish. */
typedef struct hl_stats {
    uint64_t count;  /* values used: all, or those that are not NaN under HL_NAN_OMIT      */
    double mean;     /* the exact sum / count, rounded once                                 */
    double std;      /* standard deviation with ddof (hl_compute_stats: 1), within 1 ulp     */
    hl_dtype dtype;  /* the dtype of min and max                                            */
    uint8_t min[8];  /* one element of dtype (hl_dtype_size(dtype) bytes, native endianness) */
    uint8_t max[8];
} hl_stats;
/* Count, mean, sample standard deviation (ddof = 1; NaN for one value), min and max of every
   element of a view of any ndim, dtype and strides, in one parallel pass (dense layouts in
   place). The mean is correctly rounded; std is within 1 ulp of statistics.stdev, for data of
   any offset and magnitude; constant data has std exactly 0. Infinities: std NaN, mean +-inf or
   NaN for both signs (the exact value, where NumPy's sum may overflow). min/max are exact in the
   input's dtype; a zero extreme follows IEEE 754-2019 (min is -0.0 if a -0.0 occurs, max is +0.0
   if a +0.0 occurs). NaN: see nan_policy. An empty view, or HL_NAN_RAISE with a NaN, is
   HL_ERR_INVALID_ARGUMENT. Bit-for-bit the same for every thread count. out: caller-owned,
   written only on HL_OK. Reads data only: thread-safe. */
HL_API hl_status hl_compute_stats(const hl_view *data, int32_t nan_policy, hl_stats *out,
                                  hl_control *ctl);
/* The mergeable partial of hl_compute_stats: count, exact sum, m2 (binary128), min, max, NaN and
   infinity counts, dtype and nan_policy. A plain value, like hl_exact_sum (copy freely, nothing
   to free; records no hl_moments_* function wrote are refused). */
#define HL_MOMENTS_WORDS 96
typedef struct hl_moments {
    uint64_t state[HL_MOMENTS_WORDS];
} hl_moments;
#define HL_MOMENTS_BYTES 688 /* the serialized record */
/* *out = the moments of a view (an empty view gives empty moments). HL_NAN_RAISE with a NaN is
   HL_ERR_INVALID_ARGUMENT. *out is written only on HL_OK. */
HL_API hl_status hl_moments_of(const hl_view *data, int32_t nan_policy, hl_moments *out,
                               hl_control *ctl);
/* *a = the moments of a's values followed by b's (Chan et al.'s merge; the sum, count, min and
   max are exact, m2 keeps ~110 bits). Deterministic for a given order of merges. Another dtype
   or nan_policy is HL_ERR_INVALID_ARGUMENT (empty moments merge with any), more than 2^64 - 1
   values in all, or a sum beyond an hl_exact_sum's range (forged records only), is
   HL_ERR_OVERFLOW; *a is then unchanged. */
HL_API hl_status hl_moments_merge(hl_moments *a, const hl_moments *b);
/* The statistics of the moments with ddof >= 0 (NumPy's delta degrees of freedom: 0 population,
   1 sample), as hl_compute_stats defines them. ddof >= count gives std as NumPy's std does: inf
   when the finite values differ, NaN when they are all equal. Empty moments are
   HL_ERR_INVALID_ARGUMENT. out is written only on HL_OK. */
HL_API hl_status hl_moments_finish(const hl_moments *m, int32_t ddof, hl_stats *out);
/* The record as HL_MOMENTS_BYTES versioned little-endian bytes, into the caller's out
   (HL_MOMENTS_BYTES bytes), written only on HL_OK. */
HL_API hl_status hl_moments_to_bytes(const hl_moments *m, uint8_t *out);
/* Reads bytes written by hl_moments_to_bytes; anything else is HL_ERR_INVALID_ARGUMENT, a
   well-formed record whose sum is beyond an hl_exact_sum's range HL_ERR_OVERFLOW (*out
   unchanged). */
HL_API hl_status hl_moments_from_bytes(const uint8_t *data, size_t size, hl_moments *out);
/* ---- images ---- */
/* Image filters read the image `src` and write the image `dst`. An image is an hl_view of
   ndim 2 (H x W) or 3 (H x W x C, C = 1, 3 or 4; the 4th channel is alpha), dtype
   HL_DTYPE_UINT8, HL_DTYPE_UINT16, HL_DTYPE_FLOAT32 or HL_DTYPE_FLOAT64, any strides (zero
   strides in src only), sides up to 2^31. dst has src's dtype, H and W and C (grayscale: one
   channel, H x W or H x W x 1). The byte range dst spans (first to last byte of its elements)
   must not overlap src's, so one channel of an image is not blurred into another channel of
   the same image, and dst's strides must keep its samples apart as for hl_array_multiply.
   Results match scipy.ndimage per channel computed in float64: borders are its mode "reflect"
   (d c b a | a b c d | d c b a), mirrored as often as a kernel larger than the image needs;
   uint8 and uint16 are computed in float32, rounded to nearest (halves up) and saturated to
   0..255 / 0..65535; float32 is computed in float32, float64 in float64. The alpha channel is
   copied unchanged (grayscale drops it). Results are bit-for-bit the same for every thread
   count and SIMD level.
   Ownership: the caller owns both views and their memory; the library reads src and writes dst
   during the call only and keeps no pointer. On failure dst's contents are unspecified (a
   cancelled call may have written part of it); src is never written.
   Errors: HL_ERR_TYPE for another dtype or mismatched dtypes; HL_ERR_SHAPE for another ndim,
   channel count, mismatched sizes, or a view larger than memory; HL_ERR_INVALID_ARGUMENT for a
   NULL view, NULL data in a non-empty view, overlapping views, or a bad parameter;
   HL_ERR_CANCELLED when ctl is cancelled.
   Thread safety: any number of calls may run at once on different or shared sources; a dst must
   not be written by two calls at once. */
/* scipy.ndimage.gaussian_filter(src, sigma, mode="reflect", truncate=4.0) per channel: kernel
   radius int(4 * sigma + 0.5) <= 2^24, so sigma finite, >= 0 and below about 4.19e6; sigma 0 (and
   any sigma < 0.125, a one-tap kernel) copies src, as scipy does. */
HL_API hl_status hl_image_gaussian_blur(const hl_view *src, const hl_view *dst, double sigma,
                                        hl_control *ctl);
/* Mean over the (2 * radius + 1)^2 window (scipy.ndimage.uniform_filter, size 2 * radius + 1,
   mode "reflect") per channel; 0 <= radius <= 2^24; radius 0 copies. */
HL_API hl_status hl_image_box_blur(const hl_view *src, const hl_view *dst, int64_t radius,
                                   hl_control *ctl);
/* Unsharp mask src + amount * (src - gaussian_filter(src, sigma)), rounded once; sigma as for
   hl_image_gaussian_blur; amount >= 0 and at most FLT_MAX (uint8, uint16 and float32 images are
   computed in float32, where a larger amount is infinite). amount 0, or a sigma below 0.125 (a
   one-tap blur), copies (inf, NaN and -0.0 too). */
HL_API hl_status hl_image_sharpen(const hl_view *src, const hl_view *dst, double sigma,
                                  double amount, hl_control *ctl);
/* Sobel gradient magnitude per channel, hypot(sobel(src, 0), sobel(src, 1)) as scipy.ndimage
   (unnormalised 3 x 3 kernels: up to 4 * sqrt(2) times the largest sample, so uint8 and uint16
   results saturate). */
HL_API hl_status hl_image_sobel_edges(const hl_view *src, const hl_view *dst, hl_control *ctl);
/* BT.601 luma 0.299 R + 0.587 G + 0.114 B into a one-channel dst (1 channel: a copy). uint8:
   Pillow's convert("L") exactly, (19595 R + 38470 G + 7471 B + 2^15) >> 16. */
HL_API hl_status hl_image_grayscale(const hl_view *src, const hl_view *dst, hl_control *ctl);
/* ---- Monte Carlo ---- */
/* Monte Carlo estimate of pi from n_samples >= 1 points: *inside of them fall in the quarter disc,
   *estimate = 4 * inside / n_samples. Point i uses output i of SplitMix64 seeded with seed (high
   31 bits x, low 31 bits y, tested exactly), so the result depends only on n_samples and seed,
   never on the thread count. Cancellable every 2^20 samples. Outputs (caller-owned) are written
   only on HL_OK. Thread-safe: no shared state. */
HL_API hl_status hl_monte_carlo_pi(uint64_t n_samples, uint64_t seed, uint64_t *inside,
                                   double *estimate, hl_control *ctl);
/* ---- word counting: word tables ---- */
/* An hl_word_table holds the distinct words of some text, lowercased as Python's str.lower()
   does, each with its count and its first occurrence (part, offset): what
   collections.Counter(text.lower().split()) computes, plus what it takes to merge tables of
   several texts or of byte ranges of files exactly (see docs/api/text.md).
     - Words are maximal runs of characters other than Python's str.split() whitespace (the list:
       hl_text_whitespace). Lowercasing uses the case table generated from the interpreter of
       that Unicode version (hl_text_casing_available); with casing NULL or "", only words made
       of ASCII are lowercased (A-Z -> a-z) and others are kept as written.
     - `part` numbers the texts or files a caller combines; `offset` is the byte offset of a word
       in its part's UTF-8 (a file's bytes, or the UTF-8 encoding of a str). Words are kept in
       order of first occurrence (part, then offset).
   Ownership: every hl_word_table ** out-parameter receives a new table that the caller owns and
   frees with hl_word_table_destroy (*out is NULL after a failure). Tables are immutable after
   creation: any number of threads may read one table at once (count, merge, to_bytes, export,
   accessors); destroy it only after all of them returned. Every function is thread-safe; text,
   paths and serialized bytes stay the caller's, read during the call only. Plain
   out-parameters (sizes, counts, flags) are written only on HL_OK. */
typedef struct hl_word_table_s hl_word_table;
/* `encoding` of hl_word_table_count's text: */
#define HL_TEXT_UTF8 0   /* bytes, decoded as bytes.decode("utf-8", errors) */
#define HL_TEXT_LATIN1 1 /* 1 byte per code point U+0000..U+00FF (CPython's 1-byte str kind) */
#define HL_TEXT_UCS2 2   /* uint16_t code points, lone surrogates allowed (CPython's 2-byte kind) */
#define HL_TEXT_UCS4 4   /* uint32_t code points <= U+10FFFF (CPython's 4-byte kind, wchar_t) */
/* `flags` (bitwise or): */
#define HL_TEXT_ALLOW_SURROGATES 1 /* UTF-8: accept encoded surrogates ED A0..BF xx ('surrogatepass') */
#define HL_TEXT_SKIP_BOM 2         /* ignore EF BB BF at offset 0 ('utf-8-sig') */
/* PyPy 3.9's str.split() whitespace differs from CPython's: these two flags select it. */
#define HL_TEXT_KEEP_INFO_SEPARATORS 8 /* U+001C..U+001F do not split words */
#define HL_TEXT_SPLIT_MONGOLIAN_VOWEL_SEPARATOR 16 /* U+180E splits words */
#define HL_TEXT_REPORT_FEATURES 32 /* fill hl_word_table_features: what the text holds, among: */
#define HL_TEXT_SAW_NON_ASCII 1
#define HL_TEXT_SAW_INFO_SEPARATOR 2           /* U+001C..U+001F */
#define HL_TEXT_SAW_MONGOLIAN_VOWEL_SEPARATOR 4 /* U+180E */
/* Malformed UTF-8 (Python's rules: no overlongs, nothing above U+10FFFF, surrogates only with
   HL_TEXT_ALLOW_SURROGATES) is HL_ERR_ENCODING by default, with a message that starts
   "invalid UTF-8 at byte offset N (byte 0xXX): <reason>", N being the first malformed sequence's
   offset (Python's UnicodeDecodeError.start) and <reason> Python's. With these flags it becomes
   U+FFFD per maximal invalid subpart (errors="replace") or nothing (errors="ignore"), as
   bytes.decode does. */
#define HL_TEXT_ERRORS_REPLACE 64
#define HL_TEXT_ERRORS_IGNORE 128

/* *out = 1 if this library has the case table of that Unicode version ("14.0.0", as Python's
   unicodedata.unidata_version says), else 0. */
HL_API hl_status hl_text_casing_available(const char *unicode_version, int *out);
/* The code points that split words under `flags` (0: CPython's str.split()), ascending, into
   the caller's out[0 .. min(capacity, *n)); *n receives how many there are (call with capacity
   0 and out NULL to ask). */
HL_API hl_status hl_text_whitespace(int flags, uint32_t *out, size_t capacity, size_t *n);

/* Words of megabytes: the distinct words of a str's code units, read in place, when the text
   has at most max_words words (words as hl_word_table_count splits them under `flags`' whitespace
   flags; encoding HL_TEXT_LATIN1 for both 1-byte str kinds, HL_TEXT_UCS2 or HL_TEXT_UCS4). out
   receives 4 values per distinct word, in order of first occurrence: begin and end (code units of
   its first occurrence), its count as written, and 1 if str.lower() leaves it unchanged, else 0;
   out has room for `capacity` words. *n receives how many distinct words there are, or SIZE_MAX
   when the text has more than max_words words (then nothing is written to out; the scan stops
   there). Words that lower alike are not merged: the caller builds each key (a slice of its text,
   lowered when the flag is 0) and adds the counts. casing: a Unicode version that
   hl_text_casing_available accepts (required). Errors: HL_ERR_INVALID_ARGUMENT (encoding, flags,
   casing, n_units whose bytes exceed the address space, capacity below the distinct words). */
HL_API hl_status hl_text_long_words(const void *text, size_t n_units, int encoding, int flags,
                                    const char *casing, size_t max_words, uint64_t *out,
                                    size_t capacity, size_t *n);

/* A-Z -> a-z of n bytes from text to out (other bytes copied as they are; the ranges may be the
   same, not otherwise overlap): str.lower() of an ASCII word into a str the caller has made for
   it. Errors: HL_ERR_INVALID_ARGUMENT (text or out NULL with n > 0). */
HL_API hl_status hl_text_lower_ascii(const void *text, size_t n, void *out);

/* Counts the words of n_units code units of text (bytes for UTF-8 and Latin-1; text may be NULL
   when n_units == 0; UCS-2 or UCS-4 text at an address that is not a multiple of its unit is
   read through one aligned copy) into a new table of one part, in parallel. casing: a Unicode
   version that
   hl_text_casing_available accepts, or NULL / "" (ASCII words only). Errors: HL_ERR_ENCODING
   (above), HL_ERR_INVALID_ARGUMENT (unknown encoding, flags or casing; a UCS-4 value above
   U+10FFFF; n_units whose bytes exceed the address space), HL_ERR_CANCELLED (checked every
   1 MiB block). */
HL_API hl_status hl_word_table_count(const void *text, size_t n_units, int encoding, int flags,
                                     const char *casing, uint64_t part, hl_word_table **out,
                                     hl_control *ctl);
/* hl_word_table_count of a text that is part `part`'s UTF-8 from byte `offset` on: one of the
   consecutive pieces a caller counts a long text in (hl_word_table_count is offset 0). Every
   word's offset is `offset` + its offset in this text's UTF-8, and the table's span is
   [offset, offset + the text's UTF-8 size) (hl_word_table_spans reads it: where the next piece
   starts). Tables of pieces that tile a text, none cut inside a word (or, for final sigmas,
   inside a word's context: cut after ASCII whitespace), merge (hl_word_table_merge, in any
   order) into exactly the table of the whole text counted at once: the same serialized bytes.
   Errors: those of hl_word_table_count, and HL_ERR_INVALID_ARGUMENT if the span's end would
   pass 2^64 - 1. Ownership and thread safety as hl_word_table_count: *out is a new table the
   caller destroys, NULL after a failure; text is read during the call only. */
HL_API hl_status hl_word_table_count_at(const void *text, size_t n_units, int encoding, int flags,
                                        const char *casing, uint64_t part, uint64_t offset,
                                        hl_word_table **out, hl_control *ctl);
/* The same over the words that START in bytes [start, end) of a file (end is clipped to the
   file's size; UINT64_MAX reads to its end; start > end is HL_ERR_INVALID_ARGUMENT, a start
   past the end of the file an empty table). A word that starts before `start` belongs to the
   range holding its start; one that runs past `end` is read to its end; a multi-byte character
   or whitespace cut by `start` or `end` belongs to the range where it starts. Ranges that tile
   a file merge into exactly the table of the whole file. Only the range and a bounded
   lookahead are read, with pread() in 1 MiB blocks (files larger than memory work; the file is
   never memory-mapped, so a file truncated meanwhile cannot raise SIGBUS: the count is
   restarted, and after 3 attempts fails with HL_ERR_IO). OS failures are HL_ERR_IO with
   hl_last_error_errno() set (ENOENT, EACCES, EISDIR, ...). Streams (FIFOs, pipes, character
   devices, sockets, /proc files, and sysfs files whose size is not their contents) are read
   once, in order, 1 MiB at a time, and counted in pieces of about 8 MiB cut just after ASCII
   whitespace, whose tables are merged: the same table as a regular file of the same bytes,
   in memory that holds the table, one piece and the word being read (an endless stream of
   words stays small). A word (a run of bytes without ASCII whitespace) longer than 256 MiB is
   HL_ERR_INVALID_ARGUMENT, refused once that much of it is read: /dev/zero is one endless word,
   which Python's open(path).read() reads until memory runs out. A byte range of a stream
   (start > 0 or end < UINT64_MAX) is read from the whole stream held in memory, under the same
   bound. A FIFO is waited for until a writer opens it and closes it, as open(path).read()
   waits; a cancel of ctl is seen within ~10 ms while the call waits for data, and after each
   read (HL_ERR_CANCELLED). HL_TEXT_SKIP_BOM applies at offset 0 only; a whole file of 1 or 2 bytes that only start a
   BOM (EF, EF BB) counts as empty text, as open(path, encoding="utf-8-sig").read() gives ""
   for it (bytes.decode would raise). */
HL_API hl_status hl_word_table_count_file(const char *path, uint64_t start, uint64_t end,
                                          int flags, const char *casing, uint64_t part,
                                          hl_word_table **out, hl_control *ctl);
/* A new table holding a and b (neither changes): counts add up, a word's first occurrence is the
   earlier (part, offset), so merging in any order gives the same table. HL_ERR_INVALID_ARGUMENT
   if they were lowercased with different case tables, or both hold bytes of the same part that
   overlap (the same text counted twice, or parts not numbered apart). HL_ERR_OVERFLOW if a
   word's count would pass 2^64 - 1 (only deserialized, forged tables hold such counts).
   HL_ERR_CANCELLED: ctl is checked in every step (indexing, lookups, copying, ordering: every
   2^12 words, or 2^18 bytes, slots or comparisons, about a millisecond of work), *out is then
   NULL and a and b unchanged.
   *out is a new table the caller destroys, NULL after any failure. */
HL_API hl_status hl_word_table_merge(const hl_word_table *a, const hl_word_table *b,
                                     hl_word_table **out, hl_control *ctl);
/* The table as versioned bytes (format: docs/api/text.md) in a new HL_DTYPE_UINT8 buffer that
   the caller frees with hl_buffer_free (*out NULL after a failure). */
HL_API hl_status hl_word_table_to_bytes(const hl_word_table *table, hl_buffer **out);
/* A new table from hl_word_table_to_bytes's bytes. Anything else (another format version
   included, or a word holding whitespace: U+001C..U+001F and U+180E are allowed, as PyPy's and
   CPython's words hold them) is HL_ERR_INVALID_ARGUMENT with a message saying what is wrong;
   never a crash. */
HL_API hl_status hl_word_table_from_bytes(const void *data, size_t n, hl_word_table **out);
/* Number of distinct words. */
HL_API hl_status hl_word_table_size(const hl_word_table *table, size_t *out);
/* HL_TEXT_SAW_* bits (with HL_TEXT_REPORT_FEATURES when counted, else 0; merged: or-ed). */
HL_API hl_status hl_word_table_features(const hl_word_table *table, int *out);
/* The byte ranges the table counted, as (part, begin, end) triples (end exclusive; adjacent
   ranges of one part are joined by merging), into the caller's out[0 .. 3 * min(capacity, *n))
   in the table's order (by part, then begin, in a table a count or a merge made); *n receives
   how many ranges there are (call with capacity 0 and out NULL to ask). Nothing is written on
   failure. Thread-safe (reads the table only). */
HL_API hl_status hl_word_table_spans(const hl_word_table *table, uint64_t *out, size_t capacity,
                                     size_t *n);
/* Word i (0 <= i < size) in order of first occurrence: *word points into the table (valid until
   it is destroyed; not NUL-terminated), *length bytes of UTF-8. Any out-parameter but word may
   be NULL. Outputs are unchanged on failure (HL_ERR_INVALID_ARGUMENT for i out of range). */
HL_API hl_status hl_word_table_entry(const hl_word_table *table, size_t i, const char **word,
                                     size_t *length, uint64_t *count, uint64_t *part,
                                     uint64_t *offset);
/* The words and counts in two new buffers the caller frees with hl_buffer_free (both NULL after
   a failure): *words an HL_DTYPE_UINT8 buffer of the words separated by one '\n' (no trailing
   one), *counts an HL_DTYPE_UINT64 buffer of their counts. top < 0: every word, in order of
   first occurrence (dict(Counter(...))'s order); top >= 0: the min(top, size) most common in
   Counter.most_common order (count descending, ties in order of first occurrence). */
HL_API hl_status hl_word_table_export(const hl_word_table *table, int64_t top,
                                      hl_buffer **words, hl_buffer **counts, hl_control *ctl);
/* hl_word_table_export's words and counts, with the words in two groups: *words holds every
   word as hl_word_table_export's *words does, except that each word holding a byte >= 0x80 is
   left empty there (its '\n's stay: the list keeps its length); *others holds those words,
   '\n'-separated, in the same order, and *others_at (HL_DTYPE_UINT64) their positions in the
   list. *counts is hl_word_table_export's. All four are new buffers that the caller frees with
   hl_buffer_free; all four are NULL after a failure. Why: an all-ASCII *words decodes and splits
   as Python's narrowest str kind, several times faster per word than a list holding one
   non-ASCII word. */
HL_API hl_status hl_word_table_export_grouped(const hl_word_table *table, int64_t top,
                                              hl_buffer **words, hl_buffer **others,
                                              hl_buffer **others_at, hl_buffer **counts,
                                              hl_control *ctl);
/* Frees a table (NULL is accepted): exactly once, after every call reading it returned. Words
   obtained from hl_word_table_entry die with it; buffers from export do not. */
HL_API void hl_word_table_destroy(hl_word_table *table);

/* ---- Monte Carlo ranges: one estimate computed in pieces (hotloop.dask) ---- */
/* Number of the samples first .. first + count - 1 that fall in the quarter disc, by the same
   generator and test as hl_monte_carlo_pi: for any split of 0 .. n - 1 into ranges, the counts
   add up to hl_monte_carlo_pi(n, seed)'s *inside exactly, so machines that each count one range
   reproduce the single call bit for bit. count == 0 gives 0. A range ending past sample
   2^64 - 1 (first + count > 2^64) is HL_ERR_INVALID_ARGUMENT, as is a NULL inside.
   Outputs: *inside (caller-owned) is written only on HL_OK; on failure it is left unchanged.
   Cancellable every 2^20 samples (HL_ERR_CANCELLED). Thread-safe: it reads no shared state, so
   any number of threads may call it at once. */
HL_API hl_status hl_monte_carlo_hits(uint64_t first, uint64_t count, uint64_t seed,
                                     uint64_t *inside, hl_control *ctl);

/* ---- testing: entry points for tests and benchmarks, outside the stable API ----
   Declared only when HL_TESTING_API is defined before this header is included (as zstd fences
   its experimental API behind ZSTD_STATIC_LINKING_ONLY): they may change or disappear in any
   release. The library always exports them. The Python package and the project's tests define
   HL_TESTING_API; pywrapper/build_ffi.py removes exactly the two fence lines below. New test
   hooks (*_reference, hl_debug_*) go inside the fence. */
#ifdef HL_TESTING_API

/* The same product as hl_matrix_multiply by the seed's naive row-parallel loop: a reference for
   tests and benchmarks, many times slower. Same arguments, layouts, errors, ownership and thread
   safety (no BLAS, so OpenBLAS's thread count is untouched; cancellable between row blocks). */
HL_API hl_status hl_matrix_multiply_reference(const hl_view *a, const hl_view *b,
                                              const hl_view *out, hl_control *ctl);

/* Fails on purpose, so that bindings can test their error mapping: `what` is an HL_ERR_* code
   (other than HL_ERR_NO_MEMORY) raised as the engine's own exception of that kind, or one of the
   HL_DEBUG_THROW_* values below. Returns the status the failure maps to, with the calling
   thread's hl_last_error_message() set. Thread-safe; no outputs. */
#define HL_DEBUG_THROW_BAD_ALLOC 100    /* std::bad_alloc -> HL_ERR_NO_MEMORY          */
#define HL_DEBUG_THROW_STD_EXCEPTION 101 /* a std::logic_error -> HL_ERR_INTERNAL       */
#define HL_DEBUG_THROW_NON_STD 102      /* `throw 42;` -> HL_ERR_INTERNAL                */
HL_API hl_status hl_debug_throw(int what);

#endif /* HL_TESTING_API */

/* ---- cdef end ---- */

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HOTLOOP_H */
