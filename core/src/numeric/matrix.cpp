#include "hotloop/matrix.hpp"

#include <cblas.h>
#include <tbb/global_control.h>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hotloop {
namespace {

// The BlasThreadsScopes alive, the count OpenBLAS had before the first of them, and the count
// they last gave it. All guarded by g_blas_mutex.
std::mutex g_blas_mutex;
int g_blas_scopes = 0;
int g_blas_before = 0;
int g_blas_given = 0;

// OpenBLAS (0.3.21) stops its threads in a fork handler of its own (blas_thread_shutdown_),
// which hangs fork() for ever when it lands while those threads work on a product: a thread
// that finishes its piece overwrites the handler's "exit" mark, goes to sleep, and the handler
// waits for it to exit. So fork() first waits for the engine's products in flight and lets no
// new one start until it is done: every product passes g_fork_gate to start and is counted in
// g_products while it runs (its BlasThreadsScope), and our prepare handler takes the gate and
// waits for the count to drop to zero. It runs before OpenBLAS's: prepare handlers run in
// reverse order of registration, and OpenBLAS, which this library needs, registered its own
// in its constructor, before this library's static initialisers ran. NumPy's own products in
// other threads are outside the gate and can still hang a fork (an OpenBLAS bug).
std::mutex g_fork_gate;
std::atomic<int> g_products{0};

void before_fork() {
    g_fork_gate.lock();
    // A product takes milliseconds to seconds; polling costs a fork at most 0.1 ms more.
    while (g_products.load(std::memory_order_acquire) != 0)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
}
// Parent and child alike: the thread that forked holds the gate (in the child too).
void after_fork() { g_fork_gate.unlock(); }
[[maybe_unused]] const int g_blas_atfork = pthread_atfork(&before_fork, &after_fork, &after_fork);

// The threads the engine really runs: get_num_threads(), but no more than oneTBB's process-wide
// limit (the CPUs this process may use, or an application's global_control), as its arena does
// (parallel.cpp). OpenBLAS caps only at its build's maximum (64): set_num_threads(4096) made
// one product start 62 more OpenBLAS threads, which stay in the process (NumPy's pool too) and
// oversubscribe the cores in every later product.
int engine_threads() {
    const std::size_t limit =
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
    const int n = get_num_threads();
    return limit >= 1 && limit < static_cast<std::size_t>(n) ? static_cast<int>(limit) : n;
}

void check_operands(const MatrixView& a, const MatrixView& b, const void* out, DType dtype,
                    const char* what) {
    if (dtype != DType::Float64 && dtype != DType::Float32)
        fail(ErrorKind::Type, std::string(what) + ": unsupported dtype " + dtype_name(dtype) +
                                  " (expected float32 or float64)");
    if (a.cols != b.rows)
        fail(ErrorKind::Shape, "Incompatible dimensions for matrix multiplication: (" +
                                   std::to_string(a.rows) + ", " + std::to_string(a.cols) +
                                   ") @ (" + std::to_string(b.rows) + ", " +
                                   std::to_string(b.cols) + ")");
    const std::size_t size = dtype_size(dtype);
    for (const MatrixView* m : {&a, &b}) {
        const char* name = m == &a ? "a" : "b";
        const std::size_t inner = m->column_major ? m->rows : m->cols;
        const std::size_t outer = m->column_major ? m->cols : m->rows;
        if (m->ld < std::max<std::size_t>(1, inner))
            fail(ErrorKind::InvalidArgument, std::string(what) + ": " + name +
                                                 "'s leading dimension " + std::to_string(m->ld) +
                                                 " is smaller than " + std::to_string(inner));
        if (outer != 0 && inner != 0) {
            // The last element sits at (outer - 1) * ld + inner - 1; its byte offset must fit.
            if (inner > SIZE_MAX / size || outer - 1 > (SIZE_MAX / size - inner) / m->ld)
                fail(ErrorKind::InvalidArgument, std::string(what) + ": " + name +
                                                     " does not fit in memory");
            if (m->data == nullptr)
                fail(ErrorKind::InvalidArgument, std::string(what) + ": " + name + " is NULL");
        }
    }
    if (a.rows != 0 && b.cols != 0) {
        if (a.rows > SIZE_MAX / size / b.cols)
            fail(ErrorKind::InvalidArgument, std::string(what) + ": the result does not fit in memory");
        if (out == nullptr) fail(ErrorKind::InvalidArgument, std::string(what) + ": out is NULL");
    }
}

// The function's name in messages: matrix_multiply, or the reference twin's (from check_views).
blasint blas_int(std::size_t v, const char* what, const char* function = "matrix_multiply") {
    if (v > static_cast<std::size_t>(INT_MAX))
        fail(ErrorKind::InvalidArgument,
             std::string(function) + ": " + what + " = " + std::to_string(v) +
                 " is too large for BLAS (at most " + std::to_string(INT_MAX) + ")");
    return static_cast<blasint>(v);
}

// Element (i, j) of a matrix view.
template <class T>
inline T at(const MatrixView& m, std::size_t i, std::size_t j) {
    const T* p = static_cast<const T*>(m.data);
    return m.column_major ? p[j * m.ld + i] : p[i * m.ld + j];
}

template <class T>
void reference_product(const MatrixView& a, const MatrixView& b, T* out, std::size_t ldc,
                       Control* ctl) {
    const std::size_t m = a.rows, n = b.cols, k = a.cols;
    constexpr std::size_t kRows = 8;  // rows per parallel block
    parallel_blocks(
        block_count(m, kRows),
        [&](std::size_t blk) {
            for (std::size_t i = blk * kRows; i < std::min(m, (blk + 1) * kRows); ++i) {
                T* row = out + i * ldc;
                std::fill(row, row + n, T(0));
                for (std::size_t p = 0; p < k; ++p) {
                    const T aip = at<T>(a, i, p);
                    for (std::size_t j = 0; j < n; ++j) row[j] += aip * at<T>(b, p, j);
                }
            }
        },
        ctl);
}

// out (row-major, leading dimension ldc >= b.cols) = a @ b through BLAS.
void blas_product(const MatrixView& a, const MatrixView& b, void* out, std::size_t ldc,
                  DType dtype, Control* ctl) {
    check_operands(a, b, out, dtype, "matrix_multiply");
    const std::size_t m = a.rows, n = b.cols, k = a.cols;
    if (ctl) {
        ctl->add_total(1);
        ctl->check();  // BLAS itself cannot be interrupted
    }
    if (m == 0 || n == 0) {
        if (ctl) ctl->advance(1);
        return;
    }
    if (k == 0) {  // an empty sum: zeros (not every BLAS writes C when k == 0)
        for (std::size_t i = 0; i < m; ++i)
            std::memset(static_cast<char*>(out) + i * ldc * dtype_size(dtype), 0,
                        n * dtype_size(dtype));
        if (ctl) ctl->advance(1);
        return;
    }
    const blasint M = blas_int(m, "rows of a"), N = blas_int(n, "columns of b"),
                  K = blas_int(k, "columns of a"), lda = blas_int(a.ld, "a's leading dimension"),
                  ldb = blas_int(b.ld, "b's leading dimension"),
                  LDC = blas_int(ldc, "out's leading dimension");
    const CBLAS_TRANSPOSE ta = a.column_major ? CblasTrans : CblasNoTrans;
    const CBLAS_TRANSPOSE tb = b.column_major ? CblasTrans : CblasNoTrans;
    // Called on the caller's thread, never inside parallel_blocks: OpenBLAS brings its own
    // threads, as many as the engine runs for this call.
    BlasThreadsScope blas_threads(engine_threads());
    if (dtype == DType::Float64)
        cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, static_cast<const double*>(a.data), lda,
                    static_cast<const double*>(b.data), ldb, 0.0, static_cast<double*>(out), LDC);
    else
        cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, static_cast<const float*>(a.data), lda,
                    static_cast<const float*>(b.data), ldb, 0.0f, static_cast<float*>(out), LDC);
    if (ctl) ctl->advance(1);
}

void reference_product(const MatrixView& a, const MatrixView& b, void* out, std::size_t ldc,
                       DType dtype, Control* ctl) {
    check_operands(a, b, out, dtype, "matrix_multiply_reference");
    if (dtype == DType::Float64)
        reference_product(a, b, static_cast<double*>(out), ldc, ctl);
    else
        reference_product(a, b, static_cast<float*>(out), ldc, ctl);
}

using Product = void (*)(const MatrixView&, const MatrixView&, void*, std::size_t, DType,
                         Control*);

MatrixView transposed(MatrixView m) {
    std::swap(m.rows, m.cols);
    m.column_major = !m.column_major;
    return m;
}

void check_views(const View& a, const View& b, const View& out, const char* what) {
    const std::string name(what);
    check_view(a, (name + ": a").c_str());
    check_view(b, (name + ": b").c_str());
    check_view(out, (name + ": out").c_str());
    if (a.dtype != DType::Float64 && a.dtype != DType::Float32)
        fail(ErrorKind::Type, std::string(what) + ": unsupported dtype " + dtype_name(a.dtype) +
                                  " (expected float32 or float64)");
    if (b.dtype != a.dtype || out.dtype != a.dtype)
        fail(ErrorKind::Type, std::string(what) + ": dtypes differ: " + dtype_name(a.dtype) +
                                  ", " + dtype_name(b.dtype) + " and out " + dtype_name(out.dtype));
    if (a.ndim() != 2 || b.ndim() != 2 || out.ndim() != 2)
        fail(ErrorKind::Shape, std::string(what) + ": a, b and out must be 2-D");
    if (a.shape[1] != b.shape[0])
        fail(ErrorKind::Shape, "Incompatible dimensions for matrix multiplication: (" +
                                   std::to_string(a.shape[0]) + ", " + std::to_string(a.shape[1]) +
                                   ") @ (" + std::to_string(b.shape[0]) + ", " +
                                   std::to_string(b.shape[1]) + ")");
    if (out.shape[0] != a.shape[0] || out.shape[1] != b.shape[1])
        fail(ErrorKind::Shape, std::string(what) + ": out must be " + std::to_string(a.shape[0]) +
                                   " x " + std::to_string(b.shape[1]));
    // BLAS takes int dimensions: checked before an operand is copied (a broadcast 1 x 2^31 view
    // would otherwise be gathered into 16 GB first).
    blas_int(a.shape[0], "m", what);
    blas_int(a.shape[1], "k", what);
    blas_int(b.shape[1], "n", what);
    // A failed call leaves the inputs as they were, and BLAS never reads what it writes.
    if (views_overlap(out, a) || views_overlap(out, b))
        fail(ErrorKind::InvalidArgument, std::string(what) + ": out overlaps an input");
    if (overlaps_itself(out))
        fail(ErrorKind::InvalidArgument, std::string(what) + ": out overlaps itself");
}

// An operand as BLAS reads it: in place when its strides allow, else gathered into `copy`.
MatrixView operand(const View& v, std::vector<char>& copy) {
    if (const std::optional<MatrixView> m = blas_layout(v)) return *m;
    copy.resize(v.size() * v.item_size());
    gather(v, 0, v.size(), copy.data());
    return MatrixView{copy.data(), v.shape[0], v.shape[1], std::max<std::size_t>(1, v.shape[1]),
                      false};
}

void view_product(const View& a, const View& b, const View& out, Control* ctl, Product product,
                  const char* what) {
    check_views(a, b, out, what);
    std::vector<char> a_copy, b_copy;
    const MatrixView ma = operand(a, a_copy), mb = operand(b, b_copy);
    const std::optional<MatrixView> mo = blas_layout(out);
    if (mo && !mo->column_major) return product(ma, mb, out.data, mo->ld, out.dtype, ctl);
    if (mo)  // column-major out: its transpose is row-major, and out^T = b^T a^T
        return product(transposed(mb), transposed(ma), out.data, mo->ld, out.dtype, ctl);
    std::vector<char> result(out.size() * out.item_size());
    product(ma, mb, result.data(), std::max<std::size_t>(1, out.shape[1]), out.dtype, ctl);
    scatter(result.data(), out, 0, out.size());
}

}  // namespace

void matrix_multiply(const MatrixView& a, const MatrixView& b, void* out, DType dtype,
                     Control* ctl) {
    blas_product(a, b, out, b.cols, dtype, ctl);
}

void matrix_multiply(const View& a, const View& b, const View& out, Control* ctl) {
    view_product(a, b, out, ctl, blas_product, "matrix_multiply");
}

void matrix_multiply_reference(const View& a, const View& b, const View& out, Control* ctl) {
    view_product(a, b, out, ctl, reference_product, "matrix_multiply_reference");
}

std::optional<MatrixView> blas_layout(const View& v) noexcept {
    if (v.ndim() != 2) return std::nullopt;
    const auto item = static_cast<std::ptrdiff_t>(v.item_size());
    for (const bool column_major : {false, true}) {
        const std::size_t outer = column_major ? 1 : 0, inner = 1 - outer;
        const std::size_t n_inner = v.shape[inner], n_outer = v.shape[outer];
        const std::ptrdiff_t s_inner = n_inner <= 1 ? item : v.strides[inner];
        const std::ptrdiff_t s_outer =
            n_outer <= 1 ? static_cast<std::ptrdiff_t>(std::max<std::size_t>(1, n_inner)) * item
                         : v.strides[outer];
        if (s_inner != item || s_outer % item != 0 ||
            s_outer < static_cast<std::ptrdiff_t>(std::max<std::size_t>(1, n_inner)) * item ||
            s_outer / item > INT_MAX)
            continue;
        return MatrixView{v.data, v.shape[0], v.shape[1], static_cast<std::size_t>(s_outer / item),
                          column_major};
    }
    return std::nullopt;
}

BlasThreadsScope::BlasThreadsScope(int n) {
    {
        std::lock_guard<std::mutex> gate(g_fork_gate);  // waits while a fork is under way
        g_products.fetch_add(1, std::memory_order_relaxed);
    }
    std::lock_guard<std::mutex> lock(g_blas_mutex);
    const int now = openblas_get_num_threads();
    if (g_blas_scopes++ == 0) g_blas_before = now;
    if (now != n) openblas_set_num_threads(n);
    g_blas_given = openblas_get_num_threads();  // OpenBLAS caps n at its build's maximum
}

BlasThreadsScope::~BlasThreadsScope() {
    std::lock_guard<std::mutex> lock(g_blas_mutex);
    if (--g_blas_scopes == 0 && g_blas_given != g_blas_before &&
        openblas_get_num_threads() == g_blas_given)
        openblas_set_num_threads(g_blas_before);
    g_products.fetch_sub(1, std::memory_order_release);  // after the last call into OpenBLAS
}

int blas_num_threads() { return openblas_get_num_threads(); }

void matrix_multiply_reference(const MatrixView& a, const MatrixView& b, void* out, DType dtype,
                               Control* ctl) {
    reference_product(a, b, out, b.cols, dtype, ctl);
}

}  // namespace hotloop
