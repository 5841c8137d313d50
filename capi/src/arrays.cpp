// Arrays: element-wise product, matrix products, one-pass statistics.
#include <cstring>

#include "boundary.hpp"
#include "hotloop/elementwise.hpp"
#include "hotloop/matrix.hpp"
#include "hotloop/stats.hpp"

using namespace hotloop;
using namespace hotloop::capi;

namespace {

MatrixView view(const void* data, std::size_t rows, std::size_t cols, std::size_t ld,
                int column_major) {
    return MatrixView{data, rows, cols, ld, column_major != 0};
}

}  // namespace

extern "C" {

HL_API hl_status hl_array_multiply(const void* a, const void* b, void* out, size_t n,
                                   hl_dtype dtype, size_t* overflow_index, hl_control* ctl) {
    return guard(ctl, [&] {
        try {
            multiply(a, b, out, n, to_dtype(dtype), control_of(ctl));
        } catch (const ElementOverflow& e) {
            if (overflow_index) *overflow_index = e.index();
            throw;
        }
    });
}

HL_API hl_status hl_matrix_multiply(size_t m, size_t n, size_t k, hl_dtype dtype, const void* a,
                                    size_t lda, int a_column_major, const void* b, size_t ldb,
                                    int b_column_major, void* out, hl_control* ctl) {
    return guard(ctl, [&] {
        matrix_multiply(view(a, m, k, lda, a_column_major), view(b, k, n, ldb, b_column_major),
                        out, to_dtype(dtype), control_of(ctl));
    });
}

HL_API hl_status hl_matrix_multiply_reference(size_t m, size_t n, size_t k, hl_dtype dtype,
                                              const void* a, size_t lda, int a_column_major,
                                              const void* b, size_t ldb, int b_column_major,
                                              void* out, hl_control* ctl) {
    return guard(ctl, [&] {
        matrix_multiply_reference(view(a, m, k, lda, a_column_major),
                                  view(b, k, n, ldb, b_column_major), out, to_dtype(dtype),
                                  control_of(ctl));
    });
}

HL_API hl_status hl_processor_add_strided(hl_processor* proc, const void* first, size_t ndim,
                                          const size_t* shape, const int64_t* strides,
                                          hl_dtype dtype, hl_control* ctl) {
    return guard(ctl, [&] {
        require(proc, "proc");
        static_assert(sizeof(std::ptrdiff_t) == sizeof(int64_t), "64-bit platforms only");
        proc->processor.add_strided(first, ndim, shape,
                                    reinterpret_cast<const std::ptrdiff_t*>(strides),
                                    to_dtype(dtype), control_of(ctl));
    });
}

HL_API hl_status hl_compute_stats(const void* data, size_t n, hl_dtype dtype, uint64_t* count,
                                  double* mean, double* std, void* min, void* max,
                                  hl_control* ctl) {
    return guard(ctl, [&] {
        require(count, "count");
        require(mean, "mean");
        require(std, "std");
        require(min, "min");
        require(max, "max");
        const DType type = to_dtype(dtype);
        const Summary s = summarize(data, n, type, control_of(ctl));
        *count = s.moments.count;
        *mean = s.moments.mean;
        *std = s.moments.sample_std();
        std::memcpy(min, s.min, dtype_size(type));
        std::memcpy(max, s.max, dtype_size(type));
    });
}

}  // extern "C"
