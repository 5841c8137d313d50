// Filter + map: hl_filter_double.
#include "boundary.hpp"
#include "hotloop/filter.hpp"

using namespace hotloop;
using namespace hotloop::capi;

extern "C" {

HL_API hl_status hl_filter_double(const hl_view* src, hl_dtype out_dtype, int64_t min_int,
                                  uint64_t min_uint, double min_float, hl_buffer** out,
                                  hl_control* ctl) {
    clear_outputs(out);
    return guard(ctl, [&] {
        require(out, "out");
        const View view = view_of(src, "src");
        const LowerBound min{min_int, min_uint, min_float};
        *out = release(filter_double(view, to_dtype(out_dtype), min, control_of(ctl)));
    });
}

}  // extern "C"
