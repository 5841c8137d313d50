// Engine tests of the statistics: compute_stats and the mergeable Moments.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <type_traits>
#include <vector>

#include "hotloop/stats.hpp"

#include "engine_util.hpp"

using namespace hotloop;
using hotloop::test::ThreadCountGuard;
using hotloop::test::kind_of;

namespace {


template <class T>
DType dtype_of() {
    if (std::is_same<T, double>::value) return DType::Float64;
    if (std::is_same<T, float>::value) return DType::Float32;
    if (std::is_same<T, int64_t>::value) return DType::Int64;
    if (std::is_same<T, uint64_t>::value) return DType::UInt64;
    if (std::is_same<T, int32_t>::value) return DType::Int32;
    return DType::UInt8;
}

template <class T>
Statistics stats_of(const std::vector<T>& v, NanPolicy policy = NanPolicy::Propagate) {
    return compute_stats(contiguous_view(v.data(), v.size(), dtype_of<T>()), policy);
}

template <class T>
T min_of(const Statistics& s) {
    T v;
    std::memcpy(&v, s.min, sizeof v);
    return v;
}
template <class T>
T max_of(const Statistics& s) {
    T v;
    std::memcpy(&v, s.max, sizeof v);
    return v;
}

std::vector<double> normal(std::size_t n, double mean, double sd, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> dist(mean, sd);
    std::vector<double> v(n);
    for (double& x : v) x = dist(rng);
    return v;
}

// The sample standard deviation by an independent route: two passes in binary128 (the mean
// from an exact-enough sum, then the squared deviations), rounded once.
double reference_std(const std::vector<double>& v) {
    quad sum = 0;
    for (double x : v) sum += x;
    const quad mean = sum / static_cast<quad>(v.size());
    quad m2 = 0;
    for (double x : v) m2 += (x - mean) * (x - mean);
    quad var = m2 / static_cast<quad>(v.size() - 1);
    int half = 0;  // var * 4^-half stays within the double range
    while (var > 1e300) var *= pow2_quad(-200), half += 100;
    while (var != 0 && var < 1e-300) var *= pow2_quad(200), half -= 100;
    return std::ldexp(std::sqrt(static_cast<double>(var)), half);
}

bool same(const Statistics& a, const Statistics& b) {
    return a.count == b.count && std::memcmp(&a.mean, &b.mean, 8) == 0 &&
           std::memcmp(&a.std, &b.std, 8) == 0 && a.dtype == b.dtype &&
           std::memcmp(a.min, b.min, 8) == 0 && std::memcmp(a.max, b.max, 8) == 0;
}

double ulps(double got, double want) {
    return got == want ? 0 : std::fabs(got - want) / (std::nextafter(std::fabs(want), INFINITY) -
                                                      std::fabs(want));
}

}  // namespace

TEST_CASE("compute_stats: mean and std of data far from zero, any thread count, same bits") {
    ThreadCountGuard restore;
    for (double offset : {0.0, 1e6, 1e12, -1e15}) {
        const auto v = normal(1'000'003, offset, 1.0, 5);
        set_num_threads(1);
        const Statistics one = stats_of(v);
        CHECK(one.count == v.size());
        CHECK(ulps(one.std, reference_std(v)) <= 1);
        CHECK(min_of<double>(one) == *std::min_element(v.begin(), v.end()));
        CHECK(max_of<double>(one) == *std::max_element(v.begin(), v.end()));
        for (int threads : {2, 3}) {
            set_num_threads(threads);
            const Statistics s = stats_of(v);
            CHECK(same(s, one));
        }
    }
}

TEST_CASE("compute_stats: values near the ends of the range") {
    const double max = std::numeric_limits<double>::max();
    const std::vector<double> big = {8.988465674311579e+307, 8.98846567431158e+307};
    CHECK(stats_of(big).mean == 8.98846567431158e+307);  // the sum overflows a double
    const Statistics s = stats_of(std::vector<double>{max, max / 2});
    CHECK(ulps(s.std, max / 4 * std::sqrt(2.0)) <= 1);
    const std::vector<double> small = {1e-200, 3e-200};
    CHECK(ulps(stats_of(small).std, reference_std(small)) <= 1);
    const Statistics sub = stats_of(std::vector<double>{0x1p-1074, 3 * 0x1p-1074});
    CHECK(sub.mean == 2 * 0x1p-1074);
    CHECK(sub.std == std::sqrt(2.0) * 0x1p-1074);  // 1.41 units: the subnormal grid rounds
}

TEST_CASE("compute_stats: constant data has a spread of exactly zero") {
    for (double c : {0.1, 7.2, 1e200, -7.3e-12, 0x1p-1074, std::numeric_limits<double>::max()}) {
        const Statistics s = stats_of(std::vector<double>(100'003, c));
        CHECK(s.std == 0.0);
        CHECK(s.mean == c);
    }
}

TEST_CASE("compute_stats: NaN policies, infinities, one element, empty") {
    std::vector<double> v(100'000, 1.0);
    v[70'000] = NAN;
    Statistics s = stats_of(v);
    CHECK(std::isnan(s.mean));
    CHECK(std::isnan(min_of<double>(s)));
    CHECK(s.count == 100'000);
    s = stats_of(v, NanPolicy::Omit);
    CHECK(s.count == 99'999);
    CHECK(s.mean == 1.0);
    CHECK(s.std == 0.0);
    CHECK(min_of<double>(s) == 1.0);
    CHECK(kind_of([&] { stats_of(v, NanPolicy::Raise); }) == ErrorKind::InvalidArgument);
    v[70'000] = INFINITY;
    v[3] = -INFINITY;
    s = stats_of(v);
    CHECK(std::isnan(s.mean));  // inf - inf
    CHECK(min_of<double>(s) == -INFINITY);
    CHECK(max_of<double>(s) == INFINITY);
    v[3] = 1.0;
    s = stats_of(v);
    CHECK(s.mean == INFINITY);
    CHECK(std::isnan(s.std));
    // The exact value where NumPy's summation overflows: inf plus finite values is inf.
    // (NumPy 1.24's pairwise sum of these 16 values is NaN: two partial sums reach -inf.)
    std::vector<double> overflowing(16, -4.49e307);
    overflowing[0] = INFINITY;
    s = stats_of(overflowing);
    CHECK(s.mean == INFINITY);
    const Statistics one = stats_of(std::vector<double>{4.5});
    CHECK(one.mean == 4.5);
    CHECK(std::isnan(one.std));
    const std::vector<double> all_nan(5, NAN);
    s = stats_of(all_nan, NanPolicy::Omit);
    CHECK(s.count == 0);
    CHECK(std::isnan(s.mean));
    double x = 1;
    CHECK(kind_of([&] { compute_stats(contiguous_view(&x, 0, DType::Float64), NanPolicy::Propagate); }) ==
          ErrorKind::InvalidArgument);
    CHECK(kind_of([&] { compute_stats(contiguous_view(nullptr, 3, DType::Float64), NanPolicy::Propagate); }) ==
          ErrorKind::InvalidArgument);
    CHECK(kind_of([&] { compute_stats(contiguous_view(&x, 1, static_cast<DType>(99)), NanPolicy::Propagate); }) ==
          ErrorKind::Type);
    CHECK(kind_of([&] { compute_stats(contiguous_view(&x, 1, DType::Float64), static_cast<NanPolicy>(7)); }) ==
          ErrorKind::InvalidArgument);
}

TEST_CASE("compute_stats: zero extremes follow IEEE 754-2019's signs") {
    CHECK(std::signbit(min_of<double>(stats_of(std::vector<double>{0.0, -0.0, 1.0}))));
    CHECK(std::signbit(min_of<double>(stats_of(std::vector<double>{-0.0, 0.0, 1.0}))));
    CHECK_FALSE(std::signbit(max_of<double>(stats_of(std::vector<double>{-0.0, 0.0, -1.0}))));
    CHECK(std::signbit(max_of<double>(stats_of(std::vector<double>{-0.0, -1.0}))));
    std::vector<double> far(100'000, 5.0);
    far[3] = 0.0;
    far[80'000] = -0.0;  // in another block
    CHECK(std::signbit(min_of<double>(stats_of(far))));
}

TEST_CASE("compute_stats: integer dtypes keep exact extremes and exact means") {
    std::vector<int64_t> v(70'000);
    std::iota(v.begin(), v.end(), -35'000);
    v[12] = std::numeric_limits<int64_t>::max();
    v[69'999] = std::numeric_limits<int64_t>::min();
    const Statistics s = stats_of(v);
    CHECK(max_of<int64_t>(s) == std::numeric_limits<int64_t>::max());
    CHECK(min_of<int64_t>(s) == std::numeric_limits<int64_t>::min());
    CHECK(s.mean == -35'012.0 / 70'000.0);  // the exact sum is -35012
    const std::vector<uint64_t> u = {UINT64_MAX, UINT64_MAX - 2};
    const Statistics su = stats_of(u);
    CHECK(su.mean == static_cast<double>(UINT64_MAX - 1));
    CHECK(su.std == std::sqrt(2.0));
    CHECK(min_of<uint64_t>(su) == UINT64_MAX - 2);
    const std::vector<uint8_t> bytes = {7, 200, 3, 255, 0, 9};
    const Statistics sb = stats_of(bytes);
    CHECK(min_of<uint8_t>(sb) == 0);
    CHECK(max_of<uint8_t>(sb) == 255);
    CHECK(sb.mean == 474.0 / 6);
    const unsigned char flags[5] = {0, 1, 255, 0, 2};  // nonzero bytes are true
    const Statistics sf = compute_stats(contiguous_view(flags, 5, DType::Bool), NanPolicy::Propagate);
    CHECK(sf.mean == 0.6);
    CHECK(min_of<bool>(sf) == false);
    CHECK(max_of<bool>(sf) == true);
    const std::vector<float> f = {1.5f, -2.25f, 8.0f};
    const Statistics s32 = stats_of(f);
    CHECK(min_of<float>(s32) == -2.25f);
    CHECK(max_of<float>(s32) == 8.0f);
    CHECK(s32.mean == 7.25 / 3);
}

TEST_CASE("Moments of parts merge into the moments of the whole") {
    const auto v = normal(200'000, 1e9, 3.0, 8);
    const Moments whole = Moments::of(contiguous_view(v.data(), v.size(), DType::Float64),
                                      NanPolicy::Propagate);
    Moments merged;
    for (std::size_t begin = 0; begin < v.size(); begin += 12'345)
        merged.merge(Moments::of(contiguous_view(v.data() + begin,
                                                 std::min<std::size_t>(12'345, v.size() - begin),
                                                 DType::Float64),
                                 NanPolicy::Propagate));
    const Statistics a = whole.finish(1), b = merged.finish(1);
    CHECK(a.count == b.count);
    CHECK(a.mean == b.mean);  // exact sums: always the same
    CHECK(ulps(a.std, b.std) <= 1);
    CHECK(std::memcmp(a.min, b.min, 8) == 0);
    CHECK(merged.sum == whole.sum);
    // Aligned on the engine's blocks and merged left to right: the very same bits.
    Moments blocks;
    for (std::size_t begin = 0; begin < v.size(); begin += kMomentsBlock)
        blocks.merge(Moments::of(contiguous_view(v.data() + begin,
                                                 std::min(kMomentsBlock, v.size() - begin),
                                                 DType::Float64),
                                 NanPolicy::Propagate));
    CHECK(blocks == whole);
}

TEST_CASE("Moments counts never wrap: a merge past 2^64 - 1 values is refused") {
    // Records read from bytes can claim any count (make fuzz found a saturated infinity count
    // whose finish() wrapped count + infinities, and a self-merge giving 29 for 2 x 14).
    std::vector<double> d = {1, 2, INFINITY};
    const Moments three = Moments::of(contiguous_view(d.data(), 3, DType::Float64), NanPolicy::Omit);
    unsigned char bytes[Moments::kBytes];
    three.to_bytes(bytes);
    const auto with_count = [&](uint64_t count) {  // the finite count: bytes 8..15
        unsigned char b[Moments::kBytes];
        std::memcpy(b, bytes, sizeof b);
        for (int k = 0; k < 8; ++k) b[8 + k] = static_cast<unsigned char>(count >> (8 * k));
        return Moments::from_bytes(b, sizeof b);
    };
    Moments huge = with_count(UINT64_MAX - 1);  // + 1 infinity: exactly 2^64 - 1 values
    CHECK(huge.finish(0).count == UINT64_MAX);
    const Moments before = huge;
    CHECK(kind_of([&] { huge.merge(three); }) == ErrorKind::Overflow);
    CHECK(huge == before);
    CHECK(kind_of([&] { with_count(UINT64_MAX); }) == ErrorKind::InvalidArgument);
    Moments half = with_count(UINT64_MAX / 2 - 2);
    half.merge(with_count(UINT64_MAX / 2 - 2));
    CHECK(half.finish(0).count == 2 * (UINT64_MAX / 2 - 2) + 2);
}

TEST_CASE("Moments: a merge whose sum leaves ExactSum's range is refused, nothing changed") {
    // Only a forged record gets there (a count of 1 with a sum of 2^1150); the sum was merged
    // after the count and m2 had changed, and wrapped silently after enough self-merges.
    std::vector<double> d = {1};
    const Moments one = Moments::of(contiguous_view(d.data(), 1, DType::Float64), NanPolicy::Omit);
    ExactSum big;
    big.add(1.0);
    for (int k = 0; k < ExactSum::kLimitBits - 1; ++k) big.add(ExactSum(big));  // 2^1150
    unsigned char bytes[Moments::kBytes];
    one.to_bytes(bytes);
    big.to_bytes(bytes + Moments::kBytes - ExactSum::kBytes);  // the sum closes the record
    Moments forged = Moments::from_bytes(bytes, sizeof bytes);
    const Moments before = forged;
    CHECK(kind_of([&] { forged.merge(before); }) == ErrorKind::Overflow);
    CHECK(forged == before);
    // A record whose sum is beyond the range: Overflow too (its bytes are well-formed).
    const int bit = 1074 + ExactSum::kLimitBits;
    bytes[Moments::kBytes - ExactSum::kBytes + 32 + 8 * (bit / 32) + (bit % 32) / 8] |=
        static_cast<unsigned char>(1u << (bit % 8));
    CHECK(kind_of([&] { Moments::from_bytes(bytes, sizeof bytes); }) == ErrorKind::Overflow);
}

TEST_CASE("Moments refuse other dtypes, policies and foreign bytes") {
    std::vector<double> d = {1, 2};
    std::vector<int32_t> i = {1, 2};
    Moments md = Moments::of(contiguous_view(d.data(), 2, DType::Float64), NanPolicy::Propagate);
    const Moments mi = Moments::of(contiguous_view(i.data(), 2, DType::Int32), NanPolicy::Propagate);
    const Moments omit = Moments::of(contiguous_view(d.data(), 2, DType::Float64), NanPolicy::Omit);
    const Moments before = md;
    CHECK(kind_of([&] { md.merge(mi); }) == ErrorKind::InvalidArgument);
    CHECK(kind_of([&] { md.merge(omit); }) == ErrorKind::InvalidArgument);
    CHECK(md == before);
    md.merge(Moments::of(contiguous_view(i.data(), 0, DType::Int32), NanPolicy::Propagate));
    CHECK(md.finish(1).count == 2);  // empty moments merge with any
    unsigned char bytes[Moments::kBytes];
    md.to_bytes(bytes);
    CHECK(Moments::from_bytes(bytes, sizeof bytes) == md);
    unsigned char bad_sum[Moments::kBytes];
    std::memcpy(bad_sum, bytes, sizeof bytes);
    std::memset(bad_sum + 80 + 32, 0xFF, 8);  // the sum's first digit (record bytes 80 on) < 0
    try {
        Moments::from_bytes(bad_sum, sizeof bad_sum);
        FAIL("a record with a corrupt sum was accepted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::InvalidArgument);
        CHECK(std::string(e.what()).rfind("a corrupt serialized Moments record (its sum: ", 0) == 0);
    }
    bytes[5] = 77;  // no such dtype
    CHECK(kind_of([&] { Moments::from_bytes(bytes, sizeof bytes); }) == ErrorKind::InvalidArgument);
    CHECK(kind_of([&] { Moments::from_bytes(bytes, 10); }) == ErrorKind::InvalidArgument);
    CHECK(kind_of([] { Moments().finish(1); }) == ErrorKind::InvalidArgument);
    CHECK(Moments().finish(0, false).count == 0);
}
