// Scalar functions: hl_sum_as_string, hl_divide.
#include <cstring>
#include <string>

#include "boundary.hpp"
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

}  // extern "C"
