// Arrays: element-wise product, matrix products.
#include "boundary.hpp"
#include "hotloop/elementwise.hpp"
#include "hotloop/matrix.hpp"

using namespace hotloop;
using namespace hotloop::capi;

extern "C" {

HL_API hl_status hl_array_multiply(const hl_view* a, const hl_view* b, const hl_view* out,
                                   size_t* overflow_index, hl_control* ctl) {
    return guard(ctl, [&] {
        const View va = view_of(a, "a"), vb = view_of(b, "b"), vout = view_of(out, "out");
        try {
            multiply(va, vb, vout, control_of(ctl));
        } catch (const ElementOverflow& e) {
            if (overflow_index) *overflow_index = e.index();
            throw;
        }
    });
}

HL_API hl_status hl_matrix_multiply(const hl_view* a, const hl_view* b, const hl_view* out,
                                    hl_control* ctl) {
    return guard(ctl, [&] {
        matrix_multiply(view_of(a, "a"), view_of(b, "b"), view_of(out, "out"), control_of(ctl));
    });
}

HL_API hl_status hl_matrix_multiply_reference(const hl_view* a, const hl_view* b,
                                              const hl_view* out, hl_control* ctl) {
    return guard(ctl, [&] {
        matrix_multiply_reference(view_of(a, "a"), view_of(b, "b"), view_of(out, "out"),
                                  control_of(ctl));
    });
}

}  // extern "C"
