// hl_filter_double over arbitrary bytes of every dtype, in every layout (fuzz::make_array),
// with every bound and result dtype (the source's own or the wider one): [x * 2 for x in data
// if x >= min] in C order, integer overflow an error, against a plain loop.
//
// Input: byte 0 = dtype index, byte 1 = result dtype (bit 0: widened, bit 1: threads; bits 2-5
// with bit 6: another dtype index, which must be refused unless it is the allowed one), 8 bytes
// = the bound (read as int64, uint64 or double), then an array (fuzz::make_array; big = 70000).
#include <cmath>

#include "fuzz_util.hpp"

namespace {

struct Kept {
    hl_status status = HL_OK;
    std::vector<uint8_t> bytes;  // the result's elements
};

// ---- adapter: today's hl_filter_double ----
Kept hotloop_filter(const hl_view& v, hl_dtype out_t, uint64_t bound) {
    Kept out;
    int64_t min_int;
    double min_float;
    std::memcpy(&min_int, &bound, 8);
    std::memcpy(&min_float, &bound, 8);
    hl_buffer* buf = reinterpret_cast<hl_buffer*>(&out);  // garbage: must be overwritten
    out.status = hl_filter_double(&v, out_t, min_int, bound, min_float, &buf, nullptr);
    if (out.status != HL_OK) {
        FUZZ_CHECK(buf == nullptr);
        return out;
    }
    FUZZ_CHECK(hl_buffer_dtype(buf) == out_t);
    const auto* p = static_cast<const uint8_t*>(hl_buffer_data(buf));
    const std::size_t length = hl_buffer_length(buf);
    FUZZ_CHECK(length == 0 || p != nullptr);
    out.bytes.assign(p, p + length * fuzz::size_of(out_t));
    hl_buffer_free(buf);
    return out;
}

// The wider result dtype in which every 2 * x is exact, or 0 if t has none.
hl_dtype widened(hl_dtype t) {
    switch (t) {
        case HL_DTYPE_BOOL: case HL_DTYPE_INT8: case HL_DTYPE_INT16: case HL_DTYPE_INT32:
        case HL_DTYPE_UINT8: case HL_DTYPE_UINT16: case HL_DTYPE_UINT32: return HL_DTYPE_INT64;
        case HL_DTYPE_FLOAT32: return HL_DTYPE_FLOAT64;
        default: return 0;
    }
}

// The reference: keep, double, and store as the result dtype; an integer result out of range is
// HL_ERR_OVERFLOW. Bool is compared with min_int as 0 or 1.
Kept reference(const uint8_t* p, std::size_t n, hl_dtype t, hl_dtype out_t, uint64_t bound) {
    Kept out;
    if (fuzz::size_of(t) == 0 || fuzz::size_of(out_t) == 0 || (out_t != t && out_t != widened(t)) ||
        out_t == HL_DTYPE_BOOL) {
        out.status = HL_ERR_TYPE;
        return out;
    }
    const std::size_t size = fuzz::size_of(out_t);
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char element[8];
        if (t == HL_DTYPE_FLOAT64 || t == HL_DTYPE_FLOAT32) {
            double min;
            std::memcpy(&min, &bound, 8);
            const double x = fuzz::double_at(p, t, i);
            if (!(x >= min)) continue;
            if (out_t == HL_DTYPE_FLOAT64) {
                const double y = x * 2;
                std::memcpy(element, &y, 8);
            } else {
                const float y = static_cast<float>(x) * 2.0f;
                std::memcpy(element, &y, 4);
            }
        } else {
            const fuzz::int128 x = fuzz::int_at(p, t, i);
            const bool keep = fuzz::is_signed(t) || t == HL_DTYPE_BOOL
                                  ? x >= static_cast<int64_t>(bound)
                                  : x >= static_cast<fuzz::int128>(bound);
            if (!keep) continue;
            const fuzz::int128 y = 2 * x;
            const int bits = 8 * static_cast<int>(size);
            const fuzz::int128 lo = fuzz::is_signed(out_t) ? -(fuzz::int128(1) << (bits - 1)) : 0;
            const fuzz::int128 hi = fuzz::is_signed(out_t) ? (fuzz::int128(1) << (bits - 1)) - 1
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
    const auto mode = in.take<uint8_t>();
    const auto bound = in.take<uint64_t>();
    fuzz::Array a = fuzz::make_array(in, t, 70000);
    hl_dtype out_t = (mode & 1) ? widened(t) : t;
    if (mode & 64) out_t = fuzz::kDtypes[(mode >> 2) % fuzz::kDtypeCount];

    fuzz::threads(1 + (mode >> 1) % 2);
    const Kept got = hotloop_filter(a.view(), out_t, bound);
    const Kept want = reference(a.elements.data(), a.count, t, out_t, bound);
    FUZZ_CHECK(got.status == want.status);
    if (got.status == HL_OK) FUZZ_CHECK(same_elements(got, want, out_t));
    return 0;
}
