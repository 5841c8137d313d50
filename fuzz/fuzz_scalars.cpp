// The small entry points that write into caller memory or take sizes: hl_sum_as_string into a
// buffer of every size, hl_divide, hl_status_name and hl_dtype_size of any value,
// hl_control_message truncation, and views whose byte count overflows the address space (refused
// with HL_ERR_SHAPE before anything is read, by every entry point that takes an hl_view).
//
// Input: 8 + 8 bytes = a and b, 1 byte = buffer size, 4 bytes = a status/dtype code, 8 bytes =
// a count.
#include <cmath>
#include <string>

#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const auto a = in.take<uint64_t>(), b = in.take<uint64_t>();
    const std::size_t buf_size = in.take<uint8_t>() % 32;
    const auto code = in.take<int32_t>();
    const auto count = in.take<uint64_t>();

    // hl_sum_as_string: the decimal text of a + b, or an error; never a byte past buf_size.
    std::vector<char> buf(buf_size + 1, '#');
    const hl_status s = hl_sum_as_string(a, b, buf_size ? buf.data() : nullptr, buf_size);
    if (a > UINT64_MAX - b) {
        FUZZ_CHECK(s == HL_ERR_OVERFLOW || s == HL_ERR_INVALID_ARGUMENT);
    } else {
        const std::string want = std::to_string(a + b);
        if (want.size() + 1 <= buf_size) {
            FUZZ_CHECK(s == HL_OK);
            FUZZ_CHECK(std::string(buf.data()) == want);
        } else {
            FUZZ_CHECK(s == HL_ERR_INVALID_ARGUMENT);
        }
    }
    FUZZ_CHECK(buf[buf_size] == '#');

    // hl_divide on any two doubles.
    double x, y, q = 0;
    std::memcpy(&x, &a, 8);
    std::memcpy(&y, &b, 8);
    const hl_status d = hl_divide(x, y, &q);
    if (y == 0) {
        FUZZ_CHECK(d == HL_ERR_DIVISION_BY_ZERO);
    } else {
        FUZZ_CHECK(d == HL_OK);
        FUZZ_CHECK(std::isnan(x / y) ? std::isnan(q) : q == x / y);
    }

    // Names and sizes of any code: static strings, 0 for unknown dtypes.
    FUZZ_CHECK(hl_status_name(code) != nullptr);
    const std::size_t element = hl_dtype_size(code);
    FUZZ_CHECK(element == fuzz::size_of(code) || (code == 0 && element == 0));

    // A view whose byte size overflows (one axis, or the product of two) must be refused with
    // HL_ERR_SHAPE before anything is read (data points at 8 bytes).
    const int64_t eight = 0;
    const int64_t huge = static_cast<int64_t>(count & INT64_MAX);
    const int64_t big1[1] = {huge};
    const int64_t big2[2] = {huge, static_cast<int64_t>((count >> 20) | 1)};
    const bool overflows1 = uint64_t(huge) > SIZE_MAX / 8 / 2;  // beyond half the address space
    const bool overflows2 = static_cast<unsigned __int128>(uint64_t(huge)) * uint64_t(big2[1]) * 8 >
                            static_cast<unsigned __int128>(SIZE_MAX / 2);
    for (int form = 0; form < 2; ++form) {
        if (!(form == 0 ? overflows1 : overflows2)) continue;
        const hl_view v{const_cast<int64_t*>(&eight), HL_DTYPE_INT64, form + 1, form == 0 ? big1 : big2, nullptr};
        hl_sum_result sum;
        FUZZ_CHECK(hl_sum(&v, &sum, nullptr) == HL_ERR_SHAPE);
        hl_exact_sum exact;
        FUZZ_CHECK(hl_exact_sum_of(&v, &exact, nullptr) == HL_ERR_SHAPE);
        hl_buffer* out = reinterpret_cast<hl_buffer*>(&sum);  // garbage: must be overwritten
        FUZZ_CHECK(hl_filter_double(&v, HL_DTYPE_INT64, 0, 0, 0, &out, nullptr) == HL_ERR_SHAPE);
        FUZZ_CHECK(out == nullptr);
        hl_stats stats;
        FUZZ_CHECK(hl_compute_stats(&v, HL_NAN_PROPAGATE, &stats, nullptr) == HL_ERR_SHAPE);
        hl_moments moments;
        FUZZ_CHECK(hl_moments_of(&v, HL_NAN_PROPAGATE, &moments, nullptr) == HL_ERR_SHAPE);
        hl_processor* proc = nullptr;
        FUZZ_CHECK(hl_processor_create(4, &proc) == HL_OK);
        FUZZ_CHECK(hl_processor_add(proc, &v, nullptr) == HL_ERR_SHAPE);
        uint64_t length = 1;
        FUZZ_CHECK(hl_processor_length(proc, &length) == HL_OK && length == 0);
        hl_processor_destroy(proc);
        out = reinterpret_cast<hl_buffer*>(&sum);
        FUZZ_CHECK(hl_processor_partial(&v, 4, 0, &out, nullptr) == HL_ERR_SHAPE);
        FUZZ_CHECK(out == nullptr);
    }

    // hl_control_message: NUL-terminated, truncated to the buffer, never past it.
    hl_control* ctl = nullptr;
    FUZZ_CHECK(hl_control_create(&ctl) == HL_OK);
    FUZZ_CHECK(hl_sleep(-1.0 - double(code & 7), ctl) == HL_ERR_INVALID_ARGUMENT);
    std::vector<char> message(buf_size + 1, '#');
    const hl_status m = hl_control_message(ctl, buf_size ? message.data() : nullptr, buf_size);
    if (buf_size == 0) {
        FUZZ_CHECK(m == HL_ERR_INVALID_ARGUMENT);
    } else {
        FUZZ_CHECK(m == HL_OK);
        FUZZ_CHECK(std::strlen(message.data()) < buf_size);
    }
    FUZZ_CHECK(message[buf_size] == '#');
    hl_control_destroy(ctl);
    return 0;
}
