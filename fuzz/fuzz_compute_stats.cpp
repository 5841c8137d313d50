// hl_compute_stats over arbitrary bytes of every dtype, in every layout (fuzz::make_array), under
// each nan_policy: count, min and max exactly, mean and sample standard deviation against a
// correctly rounded sum and a two-pass long double reference, NaN as NumPy (propagate) or
// nanmean/nanstd (omit), and the same bits at 1 and 2 threads; hl_moments_of over two halves,
// merged (also through to_bytes/from_bytes) and finished with ddof 1, gives the same count, mean,
// min and max, and a std within the same bound.
//
// Input: byte 0 = dtype index, byte 1 = nan_policy (0-2; 3: an unknown code), then an array
// (fuzz::make_array; big = 70000 elements).
#include <algorithm>
#include <cmath>

#include "fuzz_util.hpp"

namespace {

struct Stats {
    hl_status status = HL_OK;
    uint64_t count = 0;
    double mean = 0, std = 0;
    unsigned char min[8] = {}, max[8] = {};
};

// ---- adapter: today's hl_compute_stats and hl_moments_* ----
Stats of(hl_status status, const hl_stats& r, hl_dtype t) {
    Stats s;
    s.status = status;
    if (status != HL_OK) return s;
    FUZZ_CHECK(r.dtype == t);
    s.count = r.count;
    s.mean = r.mean;
    s.std = r.std;
    std::memcpy(s.min, r.min, 8);
    std::memcpy(s.max, r.max, 8);
    return s;
}
Stats hotloop_stats(const hl_view& v, int32_t policy) {
    hl_stats r{};
    const hl_status status = hl_compute_stats(&v, policy, &r, nullptr);
    return of(status, r, v.dtype);
}
// The moments of the two halves of the C-order elements, merged (the second half after a trip
// through hl_moments_to_bytes / hl_moments_from_bytes) and finished with ddof 1.
Stats hotloop_merged_halves(const fuzz::Array& a, int32_t policy) {
    const std::size_t e = fuzz::size_of(a.dtype), n = a.count, half = n / 2;
    const int64_t shape_a[1] = {static_cast<int64_t>(half)}, shape_b[1] = {static_cast<int64_t>(n - half)};
    uint8_t* p = const_cast<uint8_t*>(a.elements.data());
    const hl_view va{half ? p : nullptr, a.dtype, 1, shape_a, nullptr};
    const hl_view vb{n - half ? p + half * e : nullptr, a.dtype, 1, shape_b, nullptr};
    hl_moments x, y, z;
    hl_status s = hl_moments_of(&va, policy, &x, nullptr);
    if (s != HL_OK) return of(s, hl_stats{}, a.dtype);
    s = hl_moments_of(&vb, policy, &y, nullptr);
    if (s != HL_OK) return of(s, hl_stats{}, a.dtype);
    uint8_t bytes[HL_MOMENTS_BYTES], again[HL_MOMENTS_BYTES];
    FUZZ_CHECK(hl_moments_to_bytes(&y, bytes) == HL_OK);
    FUZZ_CHECK(hl_moments_from_bytes(bytes, sizeof bytes, &z) == HL_OK);
    FUZZ_CHECK(hl_moments_to_bytes(&z, again) == HL_OK);
    FUZZ_CHECK(std::memcmp(bytes, again, sizeof bytes) == 0);
    FUZZ_CHECK(hl_moments_merge(&x, &z) == HL_OK);
    hl_stats r{};
    s = hl_moments_finish(&x, 1, &r);
    return of(s, r, a.dtype);
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
    const int32_t policy = in.take<uint8_t>() % 4;
    fuzz::Array a = fuzz::make_array(in, t, 70000);
    const hl_view v = a.view();

    fuzz::threads(1);
    const Stats got = hotloop_stats(v, policy);
    if (fuzz::size_of(t) == 0) {
        FUZZ_CHECK(got.status == HL_ERR_TYPE || (policy == 3 && got.status == HL_ERR_INVALID_ARGUMENT));
        return 0;
    }
    if (policy == 3) {
        FUZZ_CHECK(got.status == HL_ERR_INVALID_ARGUMENT);
        return 0;
    }
    // The values used: NaN left out under HL_NAN_OMIT.
    std::vector<double> x;
    std::vector<uint8_t> kept;
    const std::size_t element = fuzz::size_of(t);
    bool nan = false;
    for (std::size_t i = 0; i < a.count; ++i) {
        const double value = fuzz::double_at(a.elements.data(), t, i);
        if (std::isnan(value)) {
            nan = true;
            if (policy == HL_NAN_OMIT) continue;
        }
        x.push_back(value);
        kept.insert(kept.end(), a.elements.begin() + i * element, a.elements.begin() + (i + 1) * element);
    }
    const std::size_t n = x.size();
    const bool nan_used = nan && policy == HL_NAN_PROPAGATE;
    if (a.count == 0 || (nan && policy == HL_NAN_RAISE)) {
        FUZZ_CHECK(got.status == HL_ERR_INVALID_ARGUMENT);
        FUZZ_CHECK(hotloop_merged_halves(a, policy).status == HL_ERR_INVALID_ARGUMENT);
        return 0;
    }
    if (n == 0) {  // only NaN, omitted: NumPy's nanmean of nothing is NaN
        FUZZ_CHECK(got.status == HL_OK || got.status == HL_ERR_INVALID_ARGUMENT);
        if (got.status == HL_OK) FUZZ_CHECK(got.count == 0 && std::isnan(got.mean));
        return 0;
    }
    FUZZ_CHECK(got.status == HL_OK);
    fuzz::threads(2);
    FUZZ_CHECK(same(got, hotloop_stats(v, policy)));
    FUZZ_CHECK(got.count == n);
    const Stats merged = hotloop_merged_halves(a, policy);
    FUZZ_CHECK(merged.status == HL_OK && merged.count == n);
    FUZZ_CHECK(fuzz::same_bits(merged.mean, got.mean) || (std::isnan(merged.mean) && std::isnan(got.mean)));
    if (!nan_used) FUZZ_CHECK(std::memcmp(merged.min, got.min, 8) == 0 && std::memcmp(merged.max, got.max, 8) == 0);
    const uint8_t* buf = kept.data();

    bool finite = true;
    double largest = 0;
    for (double value : x) {
        finite = finite && std::isfinite(value);
        largest = std::fmax(largest, std::fabs(value));
    }
    // min and max: exact, in the input's dtype.
    if (fuzz::is_float(t)) {
        double mn = x[0], mx = x[0];
        for (double v : x) mn = std::fmin(mn, v), mx = std::fmax(mx, v);
        const double got_min = t == HL_DTYPE_FLOAT64 ? *reinterpret_cast<const double*>(got.min)
                                                     : *reinterpret_cast<const float*>(got.min);
        const double got_max = t == HL_DTYPE_FLOAT64 ? *reinterpret_cast<const double*>(got.max)
                                                     : *reinterpret_cast<const float*>(got.max);
        if (nan_used) {
            FUZZ_CHECK(std::isnan(got_min) && std::isnan(got_max));
            FUZZ_CHECK(std::isnan(got.mean) && std::isnan(got.std));
            return 0;
        }
        FUZZ_CHECK(got_min == mn && got_max == mx);
        // A zero extreme follows IEEE 754-2019: min is -0.0 if one occurs, max +0.0 if one does.
        if (mn == 0) FUZZ_CHECK(std::signbit(got_min) == std::any_of(x.begin(), x.end(), [](double d) { return d == 0 && std::signbit(d); }));
        if (mx == 0) FUZZ_CHECK(!std::signbit(got_max) == std::any_of(x.begin(), x.end(), [](double d) { return d == 0 && !std::signbit(d); }));
    } else {
        fuzz::int128 mn = fuzz::int_at(buf, t, 0), mx = mn;
        for (std::size_t i = 1; i < n; ++i) {
            const fuzz::int128 v = fuzz::int_at(buf, t, i);
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

    // The reference mean: from the exact sum of the values. Integers are summed as integers:
    // int64/uint64 values beyond 2^53 are not their doubles in x (found by make fuzz).
    double mean;
    if (fuzz::is_float(t)) {
        double sum = 0;
        FUZZ_CHECK(fuzz::exact_sum(x.data(), n, sum));
        mean = sum / double(n);
    } else {
        fuzz::int128 total = 0;  // at most 70000 elements of 64 bits: far within 128
        for (std::size_t i = 0; i < n; ++i) total += fuzz::int_at(buf, t, i);
        mean = static_cast<double>(static_cast<long double>(total) / static_cast<long double>(n));
    }
    double magnitude = 0;
    for (double v : x) magnitude += std::fabs(v);
    const double u = fuzz::kUnit;
    FUZZ_CHECK(std::fabs(got.mean - mean) <=
               4 * u * std::fabs(mean) + 4 * double(n + 1) * u * u * magnitude / double(n) + 4.9e-324);
    if (n == 1) {
        FUZZ_CHECK(std::isnan(got.std) && std::isnan(merged.std));
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
    FUZZ_CHECK(std::fabs(merged.std * merged.std - var) <= bound);
    return 0;
}
