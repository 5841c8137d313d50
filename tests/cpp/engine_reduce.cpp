// Engine tests of the sums: ExactSum (the superaccumulator), sum_int, sum_float (math.fsum's
// value), exact_sum over views of any layout.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "hotloop/reduce.hpp"

#include "engine_util.hpp"

using namespace hotloop;
using hotloop::test::ThreadCountGuard;
using hotloop::test::kind_of;

namespace {


bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

ExactSum exact_of(const std::vector<double>& v) {
    ExactSum s;
    for (double x : v) s.add(x);
    return s;
}

double fsum(const std::vector<double>& v) {
    return sum_float(contiguous_view(v.data(), v.size(), DType::Float64));
}

// Values of every magnitude (below 2^877, so that no sum comes near the overflow threshold),
// sign and kind of bit pattern, subnormals included, with exact cancellations.
std::vector<double> adversarial(std::size_t n, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::vector<double> v;
    while (v.size() < n) {
        const int kind = static_cast<int>(rng() % 4);
        double x;
        if (kind == 0) {
            x = std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng),
                           static_cast<int>(rng() % 2000) - 1000);
        } else if (kind == 1) {
            const uint64_t bits = (rng() & ~(uint64_t(0x7ff) << 52)) | (uint64_t(rng() % 1900) << 52);
            std::memcpy(&x, &bits, sizeof x);  // any finite pattern, subnormals included
        } else {
            x = std::normal_distribution<double>(0, 1)(rng);
        }
        v.push_back(x);
        if (kind == 3 && !v.empty()) v.push_back(-v[rng() % v.size()]);
    }
    v.resize(n);
    return v;
}

}  // namespace

TEST_CASE("ExactSum rounds the exact sum once, ties to even", "[reduce]") {
    CHECK(exact_of({1.0, 0x1p-53}).value() == 1.0);                          // tie: to even
    CHECK(exact_of({1.0, 0x1p-53, 0x1p-200}).value() == 1.0 + 0x1p-52);       // above the tie
    CHECK(exact_of({1.0 + 0x1p-52, 0x1p-53}).value() == 1.0 + 0x1p-51);       // tie: to even
    CHECK(exact_of({0x1p53, 1.0, -1.0, 1.0}).value() == 0x1p53);              // 2^53 + 1: even
    CHECK(exact_of({1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50}).value() == 1e-100);
    CHECK(exact_of({0x1p-1074, 0x1p-1074, 0x1p-1074}).value() == 3 * 0x1p-1074);
    const double max = std::numeric_limits<double>::max();
    CHECK(exact_of({max, 0x1p969}).value() == max);                             // below the tie
    CHECK(std::isinf(exact_of({max, 0x1p970}).value()));                        // tie: to 2^1024
    CHECK(exact_of({max, max, -max}).value() == max);                           // no overflow
    CHECK(same_bits(exact_of({-0.0, -0.0}).value(), 0.0));                      // zero is +0.0
    CHECK(same_bits(exact_of({}).value(), 0.0));
    std::vector<double> pattern;
    for (int i = 0; i < 10000; ++i) pattern.insert(pattern.end(), {1.0, 1e100, 1.0, -1e100});
    CHECK(exact_of(pattern).value() == 20000.0);
}

TEST_CASE("ExactSum counts NaN and infinities as math.fsum treats them", "[reduce]") {
    CHECK(std::isnan(exact_of({1.0, NAN}).value()));
    CHECK(std::isnan(exact_of({INFINITY, -INFINITY}).value()));
    CHECK(exact_of({INFINITY, 1.0, INFINITY}).value() == INFINITY);
    CHECK(exact_of({-INFINITY, 1e308, 1e308}).value() == -INFINITY);
    ExactSum s = exact_of({INFINITY, NAN, 2.0});
    CHECK(s.nan_count() == 1);
    CHECK(s.pos_inf_count() == 1);
    CHECK(s.finite().value() == 2.0);
}

TEST_CASE("ExactSum divides once: the correctly rounded mean", "[reduce]") {
    CHECK(exact_of({1.0}).divided_by(3) == 1.0 / 3.0);
    CHECK(exact_of({10.0}).divided_by(4) == 2.5);
    CHECK(exact_of({3 * 0x1p-1074}).divided_by(2) == 2 * 0x1p-1074);  // 1.5 units: to even
    CHECK(exact_of({5 * 0x1p-1074}).divided_by(2) == 2 * 0x1p-1074);  // 2.5 units: to even
    const double max = std::numeric_limits<double>::max();
    CHECK(exact_of({max, max, max}).divided_by(3) == max);            // sum beyond double range
    // (2^53 + 1) / 2: the half unit decides, beyond any double-rounded quotient.
    CHECK(exact_of({0x1p54, 2.0, 0x1p-60}).divided_by(2) == 0x1p53 + 2.0);
    // Powers of two divide exactly.
    std::mt19937_64 rng(3);
    for (int i = 0; i < 1000; ++i) {
        const auto v = adversarial(5, static_cast<unsigned>(i));
        const double whole = exact_of(v).value();
        if (!std::isfinite(whole) || std::fabs(whole) < 0x1p-1000) continue;
        CHECK(same_bits(exact_of(v).divided_by(8), whole / 8));
    }
}

TEST_CASE("ExactSum merges exactly in any order, and integers stay integers", "[reduce]") {
    const auto v = adversarial(5000, 11);
    const ExactSum whole = exact_of(v);
    ExactSum forward, backward;
    for (std::size_t i = 0; i < v.size(); i += 700) {
        ExactSum part;
        for (std::size_t j = i; j < std::min(v.size(), i + 700); ++j) part.add(v[j]);
        forward.add(part);
    }
    for (std::size_t k = v.size(); k-- > 0;) backward.add(v[k]);
    CHECK(forward == whole);
    CHECK(backward == whole);
    ExactSum ints;
    ints.add_integer(int128_t(INT64_MAX) * 1000);
    ints.add_integer(-5);
    CHECK(ints.kind() == ExactSum::Kind::Integer);
    unsigned char bytes[ExactSum::kIntegerBytes];
    REQUIRE(ints.integer_bytes(bytes));
    int128_t back = 0;
    std::memcpy(&back, bytes, sizeof back);  // little-endian two's complement
    CHECK(back == int128_t(INT64_MAX) * 1000 - 5);
    CHECK(bytes[ExactSum::kIntegerBytes - 1] == 0);
    ExactSum negative;
    negative.add_integer(-7);
    REQUIRE(negative.integer_bytes(bytes));
    CHECK(bytes[0] == 0xf9);
    CHECK(bytes[ExactSum::kIntegerBytes - 1] == 0xff);
    CHECK_FALSE(exact_of({0.5}).integer_bytes(bytes));
    ints.add(exact_of({0.5}));
    CHECK(ints.kind() == ExactSum::Kind::Float);
}

TEST_CASE("ExactSum serializes canonically and refuses foreign bytes", "[reduce]") {
    const ExactSum s = exact_of(adversarial(300, 5));
    unsigned char bytes[ExactSum::kBytes];
    s.to_bytes(bytes);
    CHECK(ExactSum::from_bytes(bytes, sizeof bytes) == s);
    CHECK(kind_of([&] { ExactSum::from_bytes(bytes, sizeof bytes - 1); }) ==
          ErrorKind::InvalidArgument);
    unsigned char bad[ExactSum::kBytes];
    std::memcpy(bad, bytes, sizeof bad);
    bad[0] = 'X';
    CHECK(kind_of([&] { ExactSum::from_bytes(bad, sizeof bad); }) == ErrorKind::InvalidArgument);
    std::memcpy(bad, bytes, sizeof bad);
    bad[4] = 99;  // a future version
    CHECK(kind_of([&] { ExactSum::from_bytes(bad, sizeof bad); }) == ErrorKind::InvalidArgument);
    std::memcpy(bad, bytes, sizeof bad);
    bad[32 + 7] = 0x40;  // a digit outside its range
    CHECK(kind_of([&] { ExactSum::from_bytes(bad, sizeof bad); }) == ErrorKind::InvalidArgument);
    // make fuzz: a sum of integers holding 9.5 (its value read as 0); as a float sum it is 9.5.
    ExactSum{}.to_bytes(bad);
    bad[5] = static_cast<unsigned char>(ExactSum::Kind::Integer);
    bad[32 + 8 * 33 + 2] = 0x26;  // digit 33: bit 17 is 2^-1, bits 18 and 21 are 2^0 and 2^3
    CHECK(kind_of([&] { ExactSum::from_bytes(bad, sizeof bad); }) == ErrorKind::InvalidArgument);
    bad[5] = static_cast<unsigned char>(ExactSum::Kind::Float);
    CHECK(ExactSum::from_bytes(bad, sizeof bad).value() == 9.5);
    CHECK(kind_of([&] { ExactSum::from_bytes(nullptr, 0); }) == ErrorKind::InvalidArgument);
}

// A sum merged with itself doubles: 1.0 doubled 1,151 times reaches 2^1151, where an integer sum
// no longer fits integer_bytes (read back as -2^1151), and by ~1,260 doublings the top digit
// wrapped. Such merges are refused (Overflow), the sum unchanged, as are well-formed bytes of a
// sum out of range; to_bytes of any sum reads back.
TEST_CASE("ExactSum: a merge beyond the range is refused, never wrapped", "[reduce]") {
    for (const bool integer : {true, false}) {
        ExactSum s;
        if (integer) s.add_integer(1);
        else s.add(1.0);
        int doublings = 0;
        for (;;) {
            ExactSum twice = s;
            try {
                twice.add(s);
            } catch (const Error& e) {
                CHECK(e.kind() == ErrorKind::Overflow);
                CHECK(twice == s);  // unchanged by the refused merge
                break;
            }
            s = twice;
            REQUIRE(++doublings < 1300);
        }
        CHECK(doublings == ExactSum::kLimitBits - 1);  // 2^1150 is held, 2^1151 is not
        unsigned char bytes[ExactSum::kBytes];
        s.to_bytes(bytes);
        CHECK(ExactSum::from_bytes(bytes, sizeof bytes) == s);
        if (integer) {
            unsigned char out[ExactSum::kIntegerBytes];
            REQUIRE(s.integer_bytes(out));
            CHECK(out[ExactSum::kIntegerBytes - 1] == 0x40);  // +2^1150, not a negative number
        } else {
            CHECK(s.value() == INFINITY);
        }
    }
    // The lower end: -2^1151 is held, 2^-1074 less is not.
    ExactSum negative;
    negative.add(-std::ldexp(1.0, 1023));
    for (int k = 1023; k < ExactSum::kLimitBits; ++k) negative.add(ExactSum(negative));
    CHECK(negative.value() == -INFINITY);
    ExactSum less = negative;
    less.add(-std::ldexp(1.0, -1074));
    CHECK(kind_of([&] { less.add(ExactSum{}); }) == ErrorKind::Overflow);
    // Bytes of a sum beyond the range (each digit valid, 2^1151 in all): Overflow.
    unsigned char bytes[ExactSum::kBytes];
    ExactSum{}.to_bytes(bytes);
    const int bit = 1074 + ExactSum::kLimitBits;  // 2^1151 in units of 2^-1074
    bytes[32 + 8 * (bit / 32) + (bit % 32) / 8] = static_cast<unsigned char>(1u << (bit % 8));
    CHECK(kind_of([&] { ExactSum::from_bytes(bytes, sizeof bytes); }) == ErrorKind::Overflow);
}

TEST_CASE("sum_float is the exact sum for every length, thread count and layout", "[reduce]") {
    ThreadCountGuard restore;
    for (std::size_t n : {0u, 1u, 15u, 17u, 4095u, 4097u, 40000u, 300007u}) {
        const auto v = adversarial(n, static_cast<unsigned>(n));
        const double expected = exact_of(v).value();
        for (int threads : {1, 2, 3}) {
            set_num_threads(threads);
            CHECK(same_bits(fsum(v), expected));
        }
        std::vector<float> f(v.size());
        ExactSum fs;
        for (std::size_t i = 0; i < v.size(); ++i) {
            f[i] = static_cast<float>(std::tanh(v[i]) * std::ldexp(1.0, static_cast<int>(i % 200) - 100));
            fs.add(static_cast<double>(f[i]));
        }
        CHECK(same_bits(sum_float(contiguous_view(f.data(), f.size(), DType::Float32)), fs.value()));
    }
    // A 300 x 500 matrix read transposed, reversed and strided: the elements' exact sum.
    std::vector<double> m = adversarial(150000, 9);
    View t = contiguous_view(m.data(), m.size(), DType::Float64);
    t.shape = {500, 300};
    t.strides = {8, 8 * 500};
    CHECK(same_bits(sum_float(t), exact_of(m).value()));
    View every_third = t;
    every_third.shape = {500, 100};
    every_third.strides = {8, 3 * 8 * 500};
    ExactSum third;
    for (std::size_t r = 0; r < 300; r += 3)
        for (std::size_t c = 0; c < 500; ++c) third.add(m[r * 500 + c]);
    CHECK(same_bits(sum_float(every_third), third.value()));
}

TEST_CASE("sum_float: where math.fsum raises, Python's sum() of the values", "[reduce]") {
    // fsum overflows on its running sum: sum() gives inf (1e308 + 1e308 first).
    CHECK(fsum({1e308, 1e308, -1e308}) == INFINITY);
    CHECK(fsum({1e308, -1e308, 1e308}) == 1e308);  // no overflow: fsum's exact value
    CHECK(std::isnan(fsum({-1e308, -1e308, INFINITY})));   // sum(): -inf + inf
    CHECK(fsum({INFINITY, -4.49e307, -4.49e307, -4.49e307, -4.49e307, -4.49e307}) == INFINITY);
    CHECK(std::isnan(fsum({INFINITY, -INFINITY, 1.0})));   // fsum: ValueError; sum(): NaN
    CHECK(fsum({INFINITY, 0.0}) == INFINITY);
    CHECK(std::isnan(fsum({NAN, 1.0})));
    const double max = std::numeric_limits<double>::max();
    CHECK(fsum({max, 9.979201547673598e291}) == max);     // fsum rounds down here
    CHECK(std::isinf(fsum({max, 1e292})));                 // exact sum beyond the range
}

TEST_CASE("sum_int is exact beyond 64 bits for every integer dtype and layout", "[reduce]") {
    std::vector<int64_t> big(100000, INT64_MAX);
    const int128_t expected = static_cast<int128_t>(INT64_MAX) * 100000;
    CHECK(sum_int(contiguous_view(big.data(), big.size(), DType::Int64)) == expected);
    std::vector<int64_t> low(70000, INT64_MIN);
    CHECK(sum_int(contiguous_view(low.data(), low.size(), DType::Int64)) ==
          static_cast<int128_t>(INT64_MIN) * 70000);
    std::vector<uint64_t> ubig(3, UINT64_MAX);
    CHECK(sum_int(contiguous_view(ubig.data(), ubig.size(), DType::UInt64)) ==
          static_cast<int128_t>(UINT64_MAX) * 3);
    std::vector<int8_t> bytes(100000, -128);
    CHECK(sum_int(contiguous_view(bytes.data(), bytes.size(), DType::Int8)) == int128_t(-128) * 100000);
    const unsigned char flags[5] = {1, 0, 255, 0, 7};  // any nonzero byte is true
    CHECK(sum_int(contiguous_view(flags, 5, DType::Bool)) == 3);
    std::mt19937_64 rng(7);
    std::vector<int64_t> v(200003);
    int128_t ref = 0;
    for (auto& x : v) ref += (x = static_cast<int64_t>(rng()));
    View reversed = contiguous_view(v.data() + v.size() - 1, v.size(), DType::Int64);
    reversed.strides = {-8};
    CHECK(sum_int(reversed) == ref);
    CHECK(sum_int(contiguous_view(nullptr, 0, DType::Int64)) == 0);
}

TEST_CASE("sums reject wrong dtypes and bad views", "[reduce]") {
    double d = 1;
    int64_t i = 1;
    CHECK(kind_of([&] { sum_int(contiguous_view(&d, 1, DType::Float64)); }) == ErrorKind::Type);
    CHECK(kind_of([&] { sum_float(contiguous_view(&i, 1, DType::Int64)); }) == ErrorKind::Type);
    CHECK(kind_of([&] { sum_int(contiguous_view(nullptr, 3, DType::Int64)); }) ==
          ErrorKind::InvalidArgument);
    CHECK(kind_of([&] { sum_int(contiguous_view(&i, std::size_t(-1) / 4, DType::Int64)); }) ==
          ErrorKind::Shape);
    CHECK(kind_of([&] { exact_sum(contiguous_view(&i, 1, static_cast<DType>(99))); }) ==
          ErrorKind::Type);
}

TEST_CASE("exact_sum of parts merges into the exact sum of the whole", "[reduce]") {
    const auto v = adversarial(100000, 21);
    ExactSum merged;
    merged.mark_float();
    for (std::size_t begin = 0; begin < v.size(); begin += 33333)
        merged.add(exact_sum(contiguous_view(v.data() + begin, std::min<std::size_t>(33333, v.size() - begin),
                                             DType::Float64)));
    CHECK(merged == exact_sum(contiguous_view(v.data(), v.size(), DType::Float64)));
    CHECK(merged == [&] {
        ExactSum s;
        for (double x : v) s.add(x);
        return s;
    }());
    std::vector<int32_t> ints = {1, -2, 3};
    const ExactSum si = exact_sum(contiguous_view(ints.data(), ints.size(), DType::Int32));
    CHECK(si.kind() == ExactSum::Kind::Integer);
    CHECK(si.value() == 2.0);
    CHECK(exact_sum(contiguous_view(v.data(), 0, DType::Float64)).kind() == ExactSum::Kind::Float);
}
