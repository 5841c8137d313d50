// Matrix products: OpenBLAS for the real work, and the seed's naive row-parallel loop kept only
// as a reference for tests and benchmarks.
#pragma once

#include <cstddef>
#include <optional>

#include "hotloop/dtype.hpp"
#include "hotloop/parallel.hpp"
#include "hotloop/view.hpp"

namespace hotloop {

// A read-only matrix of `rows` x `cols` elements in memory. Row-major: element (i, j) is at
// data[i * ld + j] (ld >= cols); column-major: at data[j * ld + i] (ld >= rows). A transposed
// view of a row-major array is column-major, so it reaches BLAS without a copy.
struct MatrixView {
    const void* data = nullptr;
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::size_t ld = 0;
    bool column_major = false;
};

// out (a.rows x b.cols, row-major, contiguous) = a @ b, through cblas_dgemm (float64) or
// cblas_sgemm (float32); other dtypes are ErrorKind::Type. a.cols != b.rows is ErrorKind::Shape
// ("Incompatible dimensions for matrix multiplication"). BLAS runs on the calling thread with
// OpenBLAS's own threads, get_num_threads() of them during the call (at most one per CPU the
// process may use, as the engine's arena; BlasThreadsScope); it must
// never be called from inside a TBB region (both pools would compete for the cores).
void matrix_multiply(const MatrixView& a, const MatrixView& b, void* out, DType dtype,
                     Control* ctl = nullptr);

// The same product by the seed's naive algorithm (rows in parallel, i-k-j loop order): a
// reference for tests and a scale for benchmarks, never the fast path.
void matrix_multiply_reference(const MatrixView& a, const MatrixView& b, void* out, DType dtype,
                               Control* ctl = nullptr);

// How a 2-D view reaches BLAS without a copy: row-major when its column stride is one element,
// column-major when its row stride is (a transposed or Fortran-order array), with the other
// stride as the leading dimension (a positive whole number of elements, at most INT_MAX). The
// stride of an axis of size <= 1 is never used, so it fits either way. nullopt when no layout
// fits (negative, zero, unaligned or interleaved strides): the caller then copies.
std::optional<MatrixView> blas_layout(const View& v) noexcept;

// out = a @ b over views: a (m x k), b (k x n) and out (m x n), all 2-D and of one dtype,
// float32 or float64 (else ErrorKind::Type; a wrong ndim or shapes that do not fit are
// ErrorKind::Shape). Operands whose strides fit a BLAS layout (blas_layout) are passed to
// BLAS with transpose flags and leading dimensions, in place; any other operand is copied once
// into C order. A column-major out is computed as out^T = b^T a^T in place; an out of another
// layout receives a copy. out overlapping a, b or itself is ErrorKind::InvalidArgument
// (checked before anything is written).
void matrix_multiply(const View& a, const View& b, const View& out, Control* ctl = nullptr);
void matrix_multiply_reference(const View& a, const View& b, const View& out,
                               Control* ctl = nullptr);

// OpenBLAS's thread count is process-wide: NumPy, SciPy and threadpoolctl use the same one
// when they share the system's OpenBLAS. A scope sets it to n for the engine's own products;
// when the last of the scopes alive at once ends, OpenBLAS gets back the count it had before the
// first began, unless someone else changed it meanwhile (then their change stays). The count
// is left alone entirely when it already is n. What this cannot avoid: a product another
// thread starts in OpenBLAS while a scope is alive runs with the scope's count.
class BlasThreadsScope {
public:
    explicit BlasThreadsScope(int n);
    ~BlasThreadsScope();
    BlasThreadsScope(const BlasThreadsScope&) = delete;
    BlasThreadsScope& operator=(const BlasThreadsScope&) = delete;
};

// OpenBLAS's current thread count.
int blas_num_threads();

}  // namespace hotloop
