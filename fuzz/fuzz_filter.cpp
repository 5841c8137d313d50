// hl_filter_double over arbitrary bytes of every dtype and every bound: [x * 2 for x in data if
// x >= min], order kept, integer overflow an error, against a plain loop.
//
// Input: byte 0 = dtype index, byte 1 = copies (as fuzz_sum.cpp), 8 bytes = the bound (read as
// int64, uint64 or double), the rest = the elements.
#include <cmath>

#include "fuzz_util.hpp"

namespace {

struct Kept {
    hl_status status = HL_OK;
    std::vector<uint8_t> bytes;  // the result's elements
};

// ---- adapter: today's hl_filter_double ----
Kept hotloop_filter(const void* data, std::size_t n, hl_dtype t, uint64_t bound) {
    Kept out;
    int64_t min_int;
    double min_float;
    std::memcpy(&min_int, &bound, 8);
    std::memcpy(&min_float, &bound, 8);
    hl_buffer* buf = reinterpret_cast<hl_buffer*>(&out);  // garbage: must be overwritten
    out.status = hl_filter_double(data, n, t, min_int, bound, min_float, &buf, nullptr);
    if (out.status != HL_OK) {
        FUZZ_CHECK(buf == nullptr);
        return out;
    }
    FUZZ_CHECK(hl_buffer_dtype(buf) == t);
    const auto* p = static_cast<const uint8_t*>(hl_buffer_data(buf));
    const std::size_t length = hl_buffer_length(buf);
    FUZZ_CHECK(length == 0 || p != nullptr);
    out.bytes.assign(p, p + length * fuzz::size_of(t));
    hl_buffer_free(buf);
    return out;
}

// The reference: keep, double, and store as the dtype; an integer result out of range is
// HL_ERR_OVERFLOW.
Kept reference(const uint8_t* p, std::size_t n, hl_dtype t, uint64_t bound) {
    Kept out;
    const std::size_t size = fuzz::size_of(t);
    if (size == 0 || t == HL_DTYPE_BOOL) {
        out.status = HL_ERR_TYPE;
        return out;
    }
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char element[8];
        if (t == HL_DTYPE_FLOAT64 || t == HL_DTYPE_FLOAT32) {
            double min;
            std::memcpy(&min, &bound, 8);
            const double x = fuzz::double_at(p, t, i);
            if (!(x >= min)) continue;
            if (t == HL_DTYPE_FLOAT64) {
                const double y = x * 2;
                std::memcpy(element, &y, 8);
            } else {
                const float y = static_cast<float>(x) * 2.0f;
                std::memcpy(element, &y, 4);
            }
        } else {
            const fuzz::int128 x = fuzz::int_at(p, t, i);
            const bool keep = fuzz::is_signed(t) ? x >= static_cast<int64_t>(bound)
                                                 : x >= static_cast<fuzz::int128>(bound);
            if (!keep) continue;
            const fuzz::int128 y = 2 * x;
            const int bits = 8 * static_cast<int>(size);
            const fuzz::int128 lo = fuzz::is_signed(t) ? -(fuzz::int128(1) << (bits - 1)) : 0;
            const fuzz::int128 hi = fuzz::is_signed(t) ? (fuzz::int128(1) << (bits - 1)) - 1
                                                       : (fuzz::int128(1) << bits) - 1;
            if (y < lo || y > hi) {
                out.status = HL_ERR_OVERFLOW;
                out.bytes.clear();
                return out;
            }
            std::memcpy(element, &y, size);  // little-endian: the low bytes
        }
        out.bytes.insert(out.bytes.end(), element, element + size);
    }
    return out;
}

bool same_elements(const Kept& a, const Kept& b, hl_dtype t) {
    if (a.bytes.size() != b.bytes.size()) return false;
    if (!fuzz::is_float(t)) return a.bytes == b.bytes;
    for (std::size_t i = 0; i < a.bytes.size() / fuzz::size_of(t); ++i) {
        const double x = fuzz::double_at(a.bytes.data(), t, i), y = fuzz::double_at(b.bytes.data(), t, i);
        if (!(std::isnan(x) ? std::isnan(y) : fuzz::same_bits(x, y))) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const hl_dtype t = fuzz::kDtypes[in.take<uint8_t>() % fuzz::kDtypeCount];
    const auto copies_byte = in.take<uint8_t>();
    const auto bound = in.take<uint64_t>();
    const std::vector<uint8_t> bytes = in.bytes();
    const std::size_t element = fuzz::size_of(t) ? fuzz::size_of(t) : 1;
    const std::size_t per_copy = bytes.size() / element;
    std::size_t copies = 1 + copies_byte % 4;
    if (copies_byte >= 128 && per_copy) copies = 70000 / per_copy + 1;
    const std::vector<uint8_t> buf = fuzz::repeated(bytes, element, copies);
    const std::size_t n = buf.size() / element;

    fuzz::threads(1 + copies_byte % 2);
    const Kept got = hotloop_filter(buf.empty() ? nullptr : buf.data(), n, t, bound);
    const Kept want = reference(buf.data(), n, t, bound);
    FUZZ_CHECK(got.status == want.status);
    FUZZ_CHECK(same_elements(got, want, t));
    return 0;
}
