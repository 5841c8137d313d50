#include "hotloop/matrix.hpp"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <mutex>
#include <string>

namespace hotloop {
namespace {

// The BlasThreadsScopes alive, the count OpenBLAS had before the first of them, and the count
// they last gave it. All guarded by g_blas_mutex.
std::mutex g_blas_mutex;
int g_blas_scopes = 0;
int g_blas_before = 0;
int g_blas_given = 0;

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

blasint blas_int(std::size_t v, const char* what) {
    if (v > static_cast<std::size_t>(INT_MAX))
        fail(ErrorKind::InvalidArgument,
             std::string("matrix_multiply: ") + what + " = " + std::to_string(v) +
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
void reference_product(const MatrixView& a, const MatrixView& b, T* out, Control* ctl) {
    const std::size_t m = a.rows, n = b.cols, k = a.cols;
    constexpr std::size_t kRows = 8;  // rows per parallel block
    parallel_blocks(
        block_count(m, kRows),
        [&](std::size_t blk) {
            for (std::size_t i = blk * kRows; i < std::min(m, (blk + 1) * kRows); ++i) {
                T* row = out + i * n;
                std::fill(row, row + n, T(0));
                for (std::size_t p = 0; p < k; ++p) {
                    const T aip = at<T>(a, i, p);
                    for (std::size_t j = 0; j < n; ++j) row[j] += aip * at<T>(b, p, j);
                }
            }
        },
        ctl);
}

}  // namespace

void matrix_multiply(const MatrixView& a, const MatrixView& b, void* out, DType dtype,
                     Control* ctl) {
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
        std::memset(out, 0, m * n * dtype_size(dtype));
        if (ctl) ctl->advance(1);
        return;
    }
    const blasint M = blas_int(m, "rows of a"), N = blas_int(n, "columns of b"),
                  K = blas_int(k, "columns of a"), lda = blas_int(a.ld, "a's leading dimension"),
                  ldb = blas_int(b.ld, "b's leading dimension");
    const CBLAS_TRANSPOSE ta = a.column_major ? CblasTrans : CblasNoTrans;
    const CBLAS_TRANSPOSE tb = b.column_major ? CblasTrans : CblasNoTrans;
    // Called on the caller's thread, never inside parallel_blocks: OpenBLAS brings its own
    // threads, as many as the engine's for this call.
    BlasThreadsScope blas_threads(num_threads());
    if (dtype == DType::Float64)
        cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, static_cast<const double*>(a.data), lda,
                    static_cast<const double*>(b.data), ldb, 0.0, static_cast<double*>(out), N);
    else
        cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, static_cast<const float*>(a.data), lda,
                    static_cast<const float*>(b.data), ldb, 0.0f, static_cast<float*>(out), N);
    if (ctl) ctl->advance(1);
}

BlasThreadsScope::BlasThreadsScope(int n) {
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
}

int blas_num_threads() { return openblas_get_num_threads(); }

void matrix_multiply_reference(const MatrixView& a, const MatrixView& b, void* out, DType dtype,
                               Control* ctl) {
    check_operands(a, b, out, dtype, "matrix_multiply_reference");
    if (dtype == DType::Float64)
        reference_product(a, b, static_cast<double*>(out), ctl);
    else
        reference_product(a, b, static_cast<float*>(out), ctl);
}

}  // namespace hotloop
