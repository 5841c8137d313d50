// hl_sum_int and hl_sum_float over arbitrary bytes of every dtype, against an exact __int128
// sum and a correctly rounded float sum (Shewchuk), and for the same bits at 1 and 2 threads.
//
// Input: byte 0 = dtype index, byte 1 = copies (1 + b % 4; b >= 128: 40000 elements' worth, so
// that several parallel blocks run), the rest = the elements.
#include <cmath>

#include "fuzz_util.hpp"

namespace {

// ---- adapter: today's hl_sum_int / hl_sum_float ----
struct IntSum {
    hl_status status;
    fuzz::int128 value;
};
IntSum hotloop_sum_int(const void* data, std::size_t n, hl_dtype t) {
    int64_t hi = 0;
    uint64_t lo = 0;
    const hl_status s = hl_sum_int(data, n, t, &hi, &lo, nullptr);
    return {s, static_cast<fuzz::int128>(static_cast<unsigned __int128>(hi) << 64 | lo)};
}
struct FloatSum {
    hl_status status;
    double value;
};
FloatSum hotloop_sum_float(const void* data, std::size_t n, hl_dtype t) {
    double out = 0;
    const hl_status s = hl_sum_float(data, n, t, &out, nullptr);
    return {s, out};
}

// The IEEE result of summing values that include an infinity or a NaN.
double special_sum(const std::vector<double>& x) {
    bool pos = false, neg = false;
    for (double v : x) {
        if (std::isnan(v)) return NAN;
        pos = pos || v == INFINITY;
        neg = neg || v == -INFINITY;
    }
    return pos && neg ? NAN : pos ? INFINITY : -INFINITY;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const hl_dtype t = fuzz::kDtypes[in.take<uint8_t>() % fuzz::kDtypeCount];
    const auto copies_byte = in.take<uint8_t>();
    const std::vector<uint8_t> bytes = in.bytes();
    const std::size_t element = fuzz::size_of(t) ? fuzz::size_of(t) : 1;
    const std::size_t per_copy = bytes.size() / element;
    std::size_t copies = 1 + copies_byte % 4;
    if (copies_byte >= 128 && per_copy) copies = 40000 / per_copy + 1;
    const std::vector<uint8_t> buf = fuzz::repeated(bytes, element, copies);
    const std::size_t n = buf.size() / element;
    const void* p = buf.empty() ? nullptr : buf.data();

    if (fuzz::size_of(t) == 0) {  // an unknown dtype
        FUZZ_CHECK(hotloop_sum_int(p, n, t).status == HL_ERR_TYPE);
        FUZZ_CHECK(hotloop_sum_float(p, n, t).status == HL_ERR_TYPE);
        return 0;
    }
    if (!fuzz::is_float(t)) {
        FUZZ_CHECK(hotloop_sum_float(p, n, t).status == HL_ERR_TYPE);
        fuzz::int128 want = 0;
        for (std::size_t i = 0; i < n; ++i) want += fuzz::int_at(buf.data(), t, i);
        const IntSum got = hotloop_sum_int(p, n, t);
        FUZZ_CHECK(got.status == HL_OK);
        FUZZ_CHECK(got.value == want);
        return 0;
    }
    FUZZ_CHECK(hotloop_sum_int(p, n, t).status == HL_ERR_TYPE);
    std::vector<double> x(n);
    double magnitude = 0;  // sum of |x|
    bool finite = true;
    for (std::size_t i = 0; i < n; ++i) {
        x[i] = fuzz::double_at(buf.data(), t, i);
        finite = finite && std::isfinite(x[i]);
        magnitude += std::fabs(x[i]);
    }
    fuzz::threads(1);
    const FloatSum one = hotloop_sum_float(p, n, t);
    fuzz::threads(2);
    const FloatSum two = hotloop_sum_float(p, n, t);
    FUZZ_CHECK(one.status == HL_OK && two.status == HL_OK);
    FUZZ_CHECK(fuzz::same_bits(one.value, two.value));
    const double got = one.value;
    if (!finite) {
        const double want = special_sum(x);
        FUZZ_CHECK(std::isnan(want) ? std::isnan(got) : got == want);
        return 0;
    }
    // Sums whose magnitudes approach DBL_MAX are the exact-float reductions' concern (issue 12
    // notes): checked here only where no intermediate can overflow.
    double want = 0;
    if (!std::isfinite(magnitude) || magnitude > 1e300 || !fuzz::exact_sum(x.data(), n, want))
        return 0;
    // A compensated sum is within 2u|S| + O(n u^2) sum|x| of the exact sum S.
    const double bound = 2 * fuzz::kUnit * std::fabs(want) +
                         4 * double(n + 1) * fuzz::kUnit * fuzz::kUnit * magnitude + 4.9e-324;
    FUZZ_CHECK(std::fabs(got - want) <= bound);
    return 0;
}
