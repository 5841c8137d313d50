// Arrays: element-wise product, matrix products.
#include <cstring>

#include "boundary.hpp"
#include "hotloop/elementwise.hpp"
#include "hotloop/matrix.hpp"

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

}  // extern "C"
