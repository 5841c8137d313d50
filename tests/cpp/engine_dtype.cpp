// Engine tests: element types. A bool element is any byte; every nonzero byte is true.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

#include "hotloop/dtype.hpp"
#include "hotloop/processor.hpp"
#include "hotloop/reduce.hpp"
#include "hotloop/stats.hpp"
#include "hotloop/view.hpp"

using namespace hotloop;

namespace {

// 200 bytes as NumPy's own tests build bool arrays (np.frombuffer(b"\xff" * 200, bool)), with
// some zeros and other nonzero bytes mixed in: bytes[i] is true unless i % 5 == 0.
std::vector<uint8_t> bool_bytes() {
    std::vector<uint8_t> bytes(200, 0xff);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i % 7 == 3) bytes[i] = 2;
        if (i % 5 == 0) bytes[i] = 0;
    }
    return bytes;
}

}  // namespace

TEST_CASE("dispatch_dtype hands bool elements over as bytes that compare with 0", "[dtype]") {
    const uint8_t raw[3] = {0, 1, 0xff};
    const BoolByte* p = reinterpret_cast<const BoolByte*>(raw);
    const int trues = dispatch_dtype(DType::Bool, [&](auto tag) {
        using T = decltype(tag);
        int count = 0;
        for (int i = 0; i < 3; ++i) count += static_cast<bool>(reinterpret_cast<const T*>(p)[i]);
        return count;
    });
    REQUIRE(trues == 2);
    REQUIRE(static_cast<double>(p[2]) == 1.0);
}

TEST_CASE("bool arrays with bytes other than 0 and 1: every reader counts them as true",
          "[dtype]") {
    const std::vector<uint8_t> bytes = bool_bytes();
    const std::size_t n = bytes.size(), trues = n - n / 5;
    const View view = contiguous_view(bytes.data(), n, DType::Bool);
    SECTION("sum_int") { REQUIRE(sum_int(view) == int128_t(trues)); }
    SECTION("compute_stats: mean, spread and extremes of 0/1 values") {
        const Statistics s = compute_stats(view, NanPolicy::Propagate);
        const double p = static_cast<double>(trues) / n;
        REQUIRE(s.count == n);
        REQUIRE(s.mean == Approx(p).epsilon(1e-15));
        // sample variance of n values that are 0 or 1: n p (1 - p) / (n - 1)
        REQUIRE(s.std * s.std == Approx(n * p * (1 - p) / (n - 1)).epsilon(1e-12));
        uint8_t low = 9, high = 9;
        std::memcpy(&low, s.min, 1);
        std::memcpy(&high, s.max, 1);
        REQUIRE(low == 0);
        REQUIRE(high == 1);  // a clean bool, whatever byte held the true
    }
    SECTION("DataProcessor::add converts each element to 0.0 or 1.0") {
        DataProcessor p(1000);
        p.add(view);
        const Statistics m = p.statistics();
        REQUIRE(m.count == n);
        REQUIRE(m.mean == Approx(static_cast<double>(trues) / n).epsilon(1e-15));
    }
}
