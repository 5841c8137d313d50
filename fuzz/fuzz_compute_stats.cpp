// hl_compute_stats over arbitrary bytes of every dtype: count, min and max exactly, mean and
// sample standard deviation against a correctly rounded sum and a two-pass long double
// reference, NaN as NumPy, and the same bits at 1 and 2 threads.
//
// Input: byte 0 = dtype index, byte 1 = copies (as fuzz_sum.cpp), the rest = the elements.
#include <cmath>

#include "fuzz_util.hpp"

namespace {

struct Stats {
    hl_status status = HL_OK;
    uint64_t count = 0;
    double mean = 0, std = 0;
    unsigned char min[8] = {}, max[8] = {};
};

// ---- adapter: today's hl_compute_stats ----
Stats hotloop_stats(const void* data, std::size_t n, hl_dtype t) {
    Stats s;
    s.status = hl_compute_stats(data, n, t, &s.count, &s.mean, &s.std, s.min, s.max, nullptr);
    return s;
}

bool same(const Stats& a, const Stats& b) {
    return a.status == b.status && a.count == b.count && fuzz::same_bits(a.mean, b.mean) &&
           fuzz::same_bits(a.std, b.std) && std::memcmp(a.min, b.min, 8) == 0 &&
           std::memcmp(a.max, b.max, 8) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const hl_dtype t = fuzz::kDtypes[in.take<uint8_t>() % fuzz::kDtypeCount];
    const auto copies_byte = in.take<uint8_t>();
    std::vector<uint8_t> bytes = in.bytes();
    fuzz::avoid_known_bool_finding(t, bytes);
    const std::size_t element = fuzz::size_of(t) ? fuzz::size_of(t) : 1;
    const std::size_t per_copy = bytes.size() / element;
    std::size_t copies = 1 + copies_byte % 4;
    if (copies_byte >= 128 && per_copy) copies = 70000 / per_copy + 1;
    const std::vector<uint8_t> buf = fuzz::repeated(bytes, element, copies);
    const std::size_t n = buf.size() / element;
    const void* p = buf.empty() ? nullptr : buf.data();

    fuzz::threads(1);
    const Stats got = hotloop_stats(p, n, t);
    if (fuzz::size_of(t) == 0) {
        FUZZ_CHECK(got.status == HL_ERR_TYPE);
        return 0;
    }
    if (n == 0) {
        FUZZ_CHECK(got.status == HL_ERR_INVALID_ARGUMENT);
        return 0;
    }
    FUZZ_CHECK(got.status == HL_OK);
    fuzz::threads(2);
    FUZZ_CHECK(same(got, hotloop_stats(p, n, t)));
    FUZZ_CHECK(got.count == n);

    std::vector<double> x(n);
    bool nan = false, finite = true;
    double largest = 0;
    for (std::size_t i = 0; i < n; ++i) {
        x[i] = fuzz::double_at(buf.data(), t, i);
        nan = nan || std::isnan(x[i]);
        finite = finite && std::isfinite(x[i]);
        largest = std::fmax(largest, std::fabs(x[i]));
    }
    // min and max: exact, in the input's dtype.
    if (fuzz::is_float(t)) {
        double mn = x[0], mx = x[0];
        for (double v : x) mn = std::fmin(mn, v), mx = std::fmax(mx, v);
        const double got_min = t == HL_DTYPE_FLOAT64 ? *reinterpret_cast<const double*>(got.min)
                                                     : *reinterpret_cast<const float*>(got.min);
        const double got_max = t == HL_DTYPE_FLOAT64 ? *reinterpret_cast<const double*>(got.max)
                                                     : *reinterpret_cast<const float*>(got.max);
        if (nan) {
            FUZZ_CHECK(std::isnan(got_min) && std::isnan(got_max));
            FUZZ_CHECK(std::isnan(got.mean) && std::isnan(got.std));
            return 0;
        }
        FUZZ_CHECK(got_min == mn && got_max == mx);
    } else {
        fuzz::int128 mn = fuzz::int_at(buf.data(), t, 0), mx = mn;
        for (std::size_t i = 1; i < n; ++i) {
            const fuzz::int128 v = fuzz::int_at(buf.data(), t, i);
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        // Each extreme is one element of the dtype.
        FUZZ_CHECK(fuzz::int_at(got.min, t, 0) == mn);
        FUZZ_CHECK(fuzz::int_at(got.max, t, 0) == mx);
    }
    // Moments. Values near DBL_MAX are the exact-float reductions' concern (issue 12 notes):
    // checked here only where squares cannot overflow.
    if (!finite) {
        FUZZ_CHECK(!std::isfinite(got.mean) || n == 0);
        return 0;
    }
    if (largest > 1e150) return 0;
    double sum = 0;
    FUZZ_CHECK(fuzz::exact_sum(x.data(), n, sum));
    const double mean = sum / double(n);
    double magnitude = 0;
    for (double v : x) magnitude += std::fabs(v);
    const double u = fuzz::kUnit;
    FUZZ_CHECK(std::fabs(got.mean - mean) <=
               4 * u * std::fabs(mean) + 4 * double(n + 1) * u * u * magnitude / double(n) + 4.9e-324);
    if (n == 1) {
        FUZZ_CHECK(std::isnan(got.std));
        return 0;
    }
    long double ss = 0, squares = 0;
    for (double v : x) {
        const long double d = static_cast<long double>(v) - mean;
        ss += d * d;
        squares += static_cast<long double>(v) * v;
    }
    const double var = static_cast<double>(ss / (n - 1));
    const double got_var = got.std * got.std;
    // Rounding each deviation costs about u * |x| * |x - mean| per element: with the squares'
    // own rounding, within 16 n u (ss + sqrt(ss * sum x^2)) / (n - 1) of the variance; block
    // means off by an ulp add (u x)^2 per value.
    const double bound = 16.0 * double(n) * u *
                             static_cast<double>((ss + std::sqrt(ss * squares)) / (n - 1)) +
                         16.0 * double(n) * u * u * static_cast<double>(squares / (n - 1)) +
                         1e-300;
    FUZZ_CHECK(std::fabs(got_var - var) <= bound);
    return 0;
}
