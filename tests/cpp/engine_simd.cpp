// Engine tests of the SIMD dispatch (core/src/runtime/simd.hpp): every kernel that runs through
// simd_run gives the same bits at every level this CPU has (baseline x86-64, AVX2, AVX-512),
// errors included. The imaging and text kernels have their own level tests (engine_imaging.cpp,
// engine_text.cpp); these cover the sums, the statistics, the DataProcessor's chunk means, the
// filter, array_multiply and Monte Carlo.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hotloop/elementwise.hpp"
#include "hotloop/filter.hpp"
#include "hotloop/montecarlo.hpp"
#include "hotloop/processor.hpp"
#include "hotloop/reduce.hpp"
#include "hotloop/simd.hpp"
#include "hotloop/stats.hpp"

using namespace hotloop;

namespace {

// Sizes with several parallel blocks (2^15 and 2^16 elements) and a tail no vector width divides.
constexpr std::size_t kN = 3 * 65536 + 4099;

const DType kAllDtypes[] = {DType::Bool,   DType::Int8,   DType::Int16,  DType::Int32,
                            DType::Int64,  DType::UInt8,  DType::UInt16, DType::UInt32,
                            DType::UInt64, DType::Float32, DType::Float64};

// Restores the best level whatever a test does.
struct LevelGuard {
    ~LevelGuard() { set_simd_level(simd_level_supported()); }
};

template <class T>
void append_bytes(std::string& out, const T& value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
void append_buffer(std::string& out, const Buffer& b) {
    out += std::to_string(static_cast<int>(b.dtype())) + ":" + std::to_string(b.length()) + ":";
    out.append(static_cast<const char*>(b.data()), b.length() * dtype_size(b.dtype()));
}

// What f gives, as bytes: its result or the error it throws (kind and message).
template <class F>
std::string outcome(F&& f) {
    try {
        return f();
    } catch (const Error& e) {
        return "error " + std::to_string(static_cast<int>(e.kind())) + ": " + e.what();
    }
}

// Where a and b first differ (npos when they are equal): a failure names an offset and the
// sizes instead of printing binary bytes.
std::size_t first_difference(const std::string& a, const std::string& b) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return i;
    return a.size() == b.size() ? std::string::npos : n;
}

// Requires f to give the same bytes at every level this CPU has; returns the baseline's.
template <class F>
std::string same_at_every_level(F&& f) {
    LevelGuard restore;
    REQUIRE(set_simd_level(SimdLevel::Baseline) == SimdLevel::Baseline);
    const std::string want = outcome(f);
    for (SimdLevel level : {SimdLevel::AVX2, SimdLevel::AVX512}) {
        if (static_cast<int>(level) > static_cast<int>(simd_level_supported())) continue;
        CAPTURE(simd_level_name(level));
        REQUIRE(set_simd_level(level) == level);
        const std::string got = outcome(f);
        CAPTURE(got.size(), want.size());
        REQUIRE(first_difference(got, want) == std::string::npos);
    }
    return want;
}

// Float data that exercises every path of the exact kernels: magnitudes spread over many
// binades (second-level remainders), blocks of constants, and optionally NaN, infinities and
// values near the top of the range.
std::vector<double> awkward_doubles(std::size_t n, uint64_t seed, bool specials) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> unit(-1.0, 1.0);
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        const int binade = static_cast<int>(rng() % 120) - 60;
        v[i] = std::ldexp(unit(rng), binade) + (i % 2 ? 1e6 : 0.0);  // near zero, far from it
    }
    for (std::size_t i = 40000; i < 40000 + 33000 && i < n; ++i) v[i] = 0.25;  // a constant block
    if (specials) {
        v[n / 3] = std::numeric_limits<double>::quiet_NaN();
        v[n / 2] = INFINITY;
        v[n / 2 + 1] = -INFINITY;
        for (std::size_t i = 0; i < 100; ++i) v[2 * n / 3 + i] = (i % 2 ? -1 : 1) * 1e307;
    }
    return v;
}

// n elements of dtype: random bytes for integers (bool bytes too: any nonzero byte is true),
// awkward values for floats.
std::vector<unsigned char> data_of(DType dtype, std::size_t n, uint64_t seed, bool specials) {
    const std::size_t item = dtype_size(dtype);
    std::vector<unsigned char> bytes(n * item);
    if (dtype == DType::Float64 || dtype == DType::Float32) {
        const std::vector<double> v = awkward_doubles(n, seed, specials);
        for (std::size_t i = 0; i < n; ++i) {
            if (dtype == DType::Float64) {
                std::memcpy(&bytes[i * 8], &v[i], 8);
            } else {
                const float f = static_cast<float>(v[i]);
                std::memcpy(&bytes[i * 4], &f, 4);
            }
        }
    } else {
        std::mt19937_64 rng(seed);
        for (auto& b : bytes) b = static_cast<unsigned char>(rng());
    }
    return bytes;
}

View view_of(const std::vector<unsigned char>& bytes, DType dtype) {
    return contiguous_view(bytes.data(), bytes.size() / dtype_size(dtype), dtype);
}

}  // namespace

TEST_CASE("the sums give the same bits at every SIMD level", "[simd][reduce]") {
    for (DType dtype : kAllDtypes) {
        for (bool specials : {false, true}) {
            CAPTURE(dtype_name(dtype), specials);
            const auto bytes = data_of(dtype, kN, 11 + static_cast<int>(dtype), specials);
            const View v = view_of(bytes, dtype);
            const std::string got = same_at_every_level([&] {
                std::string out;
                const ExactSum s = exact_sum(v);
                unsigned char record[ExactSum::kBytes];
                s.to_bytes(record);
                out.append(reinterpret_cast<const char*>(record), sizeof record);
                if (is_float(dtype))
                    append_bytes(out, sum_float(v));
                else
                    append_bytes(out, sum_int(v));
                return out;
            });
            REQUIRE(got.rfind("error", 0) != 0);
        }
    }
}

TEST_CASE("the statistics give the same bits at every SIMD level", "[simd][stats]") {
    for (DType dtype : kAllDtypes) {
        for (bool specials : {false, true}) {
            CAPTURE(dtype_name(dtype), specials);
            const auto bytes = data_of(dtype, kN, 23 + static_cast<int>(dtype), specials);
            const View v = view_of(bytes, dtype);
            for (NanPolicy policy : {NanPolicy::Propagate, NanPolicy::Omit, NanPolicy::Raise}) {
                CAPTURE(static_cast<int>(policy));
                const std::string got = same_at_every_level([&] {
                    unsigned char record[Moments::kBytes];
                    Moments::of(v, policy).to_bytes(record);
                    return std::string(reinterpret_cast<const char*>(record), sizeof record);
                });
                const bool has_nan = specials && is_float(dtype);
                REQUIRE((got.rfind("error", 0) == 0) == (has_nan && policy == NanPolicy::Raise));
            }
        }
    }
}

TEST_CASE("the DataProcessor's chunk means give the same bits at every SIMD level",
          "[simd][processor]") {
    for (bool specials : {false, true}) {
        const auto values = awkward_doubles(kN, 37, specials);
        for (std::size_t chunk : {std::size_t(1), std::size_t(7), std::size_t(16),
                                  std::size_t(1000), std::size_t(40000)}) {
            CAPTURE(specials, chunk);
            const std::string got = same_at_every_level([&] {
                DataProcessor p(chunk);
                p.add(contiguous_view(values.data(), values.size(), DType::Float64));
                const Statistics s = p.statistics();
                std::string out;
                append_buffer(out, p.to_bytes());
                append_buffer(out, p.process_chunks());
                append_bytes(out, s.count);
                append_bytes(out, s.mean);
                append_bytes(out, s.std);
                return out;
            });
            REQUIRE(got.rfind("error", 0) != 0);
        }
    }
}

TEST_CASE("the filter gives the same elements at every SIMD level", "[simd][filter]") {
    for (DType dtype : kAllDtypes) {
        // Full-range integers overflow when doubled; halved ones do not.
        for (int round = 0; round < 3; ++round) {
            CAPTURE(dtype_name(dtype), round);
            auto bytes = data_of(dtype, kN, 41 + static_cast<int>(dtype), round == 2);
            if (round >= 1 && !is_float(dtype) && dtype != DType::Bool) {
                const std::size_t item = dtype_size(dtype);
                for (std::size_t i = item - 1; i < bytes.size(); i += item) bytes[i] &= 0x1f;
            }
            LowerBound bound;
            bound.signed_min = round == 0 ? -5 : 3;
            bound.unsigned_min = 100;
            bound.float_min = 1e6;
            const View v = view_of(bytes, dtype);
            const DType widened = is_float(dtype) ? DType::Float64 : DType::Int64;
            const std::string got = same_at_every_level([&] {
                std::string out;
                if (dtype != DType::Bool) {
                    append_buffer(out, filter_double(v, dtype, bound));
                    out += "|";
                }
                if (filter_output_allowed(dtype, widened) && widened != dtype)
                    append_buffer(out, filter_double(v, widened, bound));
                return out;
            });
            REQUIRE(got.size() > 0);
        }
    }
}

TEST_CASE("the filter's lane steps at the edges of their compares", "[simd][filter]") {
    // Every value beside each bound and each overflow limit, in every lane position: AVX2
    // compares 64-bit lanes signed and greater-than only, and unsigned ones with the sign flipped.
    const uint64_t top = uint64_t(1) << 63;
    std::vector<uint64_t> u;
    for (uint64_t centre :
         {uint64_t(0), top - 1, top, top + 1, ~uint64_t(0), top / 2, uint64_t(100)})
        for (uint64_t d = 0; d < 3; ++d) u.push_back(centre + d - 1);
    std::vector<int64_t> i64(u.begin(), u.end());
    std::vector<int32_t> i32;
    for (int64_t x : i64) i32.push_back(static_cast<int32_t>(x));
    std::vector<double> f;
    const double inf = std::numeric_limits<double>::infinity();
    for (double x : {0.0, -0.0, 1e6, std::nextafter(1e6, 0.0),
                     std::numeric_limits<double>::quiet_NaN(), -inf, inf, 3.0})
        f.push_back(x);
    for (int rotate = 0; rotate < 8; ++rotate) {
        CAPTURE(rotate);
        std::rotate(u.begin(), u.begin() + 1, u.end());
        std::rotate(i64.begin(), i64.begin() + 1, i64.end());
        std::rotate(i32.begin(), i32.begin() + 1, i32.end());
        std::rotate(f.begin(), f.begin() + 1, f.end());
        for (uint64_t bound : {uint64_t(0), top - 1, top, top + 1, uint64_t(101)}) {
            LowerBound b;
            b.unsigned_min = bound;
            b.signed_min = static_cast<int64_t>(bound);
            b.float_min = 1e6;
            const std::string got = same_at_every_level([&] {
                std::string out;
                append_buffer(out, filter_double(contiguous_view(u.data(), u.size(), DType::UInt64),
                                                 DType::UInt64, b));
                return out;
            });
            REQUIRE(got.size() > 0);
            const std::string halves = same_at_every_level([&] {
                std::string out;
                std::vector<uint64_t> half(u);
                for (auto& x : half) x >>= 1;  // below the overflow limit: a result, not an error
                append_buffer(out, filter_double(contiguous_view(half.data(), half.size(),
                                                                 DType::UInt64),
                                                 DType::UInt64, b));
                std::vector<int64_t> shifted(i64);
                for (auto& x : shifted) x /= 2;
                append_buffer(out, filter_double(contiguous_view(shifted.data(), shifted.size(),
                                                                 DType::Int64),
                                                 DType::Int64, b));
                std::vector<int32_t> small(i32);
                for (auto& x : small) x /= 2;
                LowerBound b32 = b;
                b32.signed_min = static_cast<int32_t>(bound);
                append_buffer(out, filter_double(contiguous_view(small.data(), small.size(),
                                                                 DType::Int32),
                                                 DType::Int32, b32));
                append_buffer(out, filter_double(contiguous_view(f.data(), f.size(),
                                                                 DType::Float64),
                                                 DType::Float64, b));
                return out;
            });
            REQUIRE(halves.rfind("error", 0) != 0);
        }
    }
}

TEST_CASE("array_multiply gives the same bits at every SIMD level", "[simd][elementwise]") {
    for (DType dtype : {DType::Float64, DType::Float32, DType::Int32, DType::Int64}) {
        for (bool overflow : {false, true}) {
            CAPTURE(dtype_name(dtype), overflow);
            auto a = data_of(dtype, kN, 53, true), b = data_of(dtype, kN, 59, true);
            if (!overflow && !is_float(dtype)) {  // factors below 2^(bits / 2 - 1)
                const std::size_t item = dtype_size(dtype);
                for (auto* x : {&a, &b})
                    for (std::size_t i = 0; i < x->size(); i += item)
                        for (std::size_t k = item / 2 - 1; k < item; ++k)
                            (*x)[i + k] = k == item / 2 - 1 ? (*x)[i + k] & 0x7f : 0;
            }
            const std::string got = same_at_every_level([&] {
                std::vector<unsigned char> out(a.size());
                multiply(a.data(), b.data(), out.data(), kN, dtype);
                return std::string(out.begin(), out.end());
            });
            REQUIRE((got.rfind("error", 0) == 0) == (overflow && !is_float(dtype)));
        }
    }
}

TEST_CASE("Monte Carlo counts the same hits at every SIMD level", "[simd][montecarlo]") {
    for (uint64_t seed : {uint64_t(0), uint64_t(7), ~uint64_t(0)}) {
        CAPTURE(seed);
        const std::string got = same_at_every_level([&] {
            std::string out;
            append_bytes(out, monte_carlo_pi_hits(3 * (uint64_t(1) << 20) + 13, seed));
            append_bytes(out, count_inside(seed, ~uint64_t(0) - 1000, 1001));
            append_bytes(out, count_inside(seed, 12345, 7));
            return out;
        });
        REQUIRE(got.rfind("error", 0) != 0);
    }
}
