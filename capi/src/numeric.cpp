// Scalar functions and filters.
#include <cstring>

#include "boundary.hpp"
#include "hotloop/filter.hpp"
#include "hotloop/scalar.hpp"

using namespace hotloop;
using namespace hotloop::capi;

extern "C" {

HL_API hl_status hl_sum_as_string(uint64_t a, uint64_t b, char* buf, size_t buf_size) {
    return guard([&] {
        require(buf, "buf");
        const std::string text = sum_as_string(a, b);
        if (text.size() + 1 > buf_size)
            fail(ErrorKind::InvalidArgument, "buf holds " + std::to_string(buf_size) +
                                                 " bytes, the result needs " +
                                                 std::to_string(text.size() + 1));
        std::memcpy(buf, text.c_str(), text.size() + 1);
    });
}

HL_API hl_status hl_divide(double a, double b, double* out) {
    return guard([&] { *require(out, "out") = divide(a, b); });
}

HL_API hl_status hl_filter_double(const hl_view* src, hl_dtype out_dtype, int64_t min_int,
                                  uint64_t min_uint, double min_float, hl_buffer** out,
                                  hl_control* ctl) {
    return guard(ctl, [&] {
        require(out, "out");
        *out = nullptr;
        const View view = view_of(src, "src");
        const LowerBound min{min_int, min_uint, min_float};
        *out = release(filter_double(view, to_dtype(out_dtype), min, control_of(ctl)));
    });
}

}  // extern "C"
