// Engine tests of the DataProcessor: the queue, chunk means and statistics that do not depend on
// how the values arrived, all-or-nothing adds (cancellation included), serialization, partials.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "hotloop/processor.hpp"
#include "hotloop/reduce.hpp"

#include "engine_util.hpp"

using namespace hotloop;
using hotloop::test::kind_of;
using Clock = std::chrono::steady_clock;

namespace {

bool throws_cancelled(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.kind() == ErrorKind::Cancelled;
    }
    return false;
}

// Runs op(ctl) on a thread and cancels it once it has made progress; *cancelled tells whether it
// stopped with Cancelled (it may also have finished first).
void cancel_midway(const std::function<void(Control*)>& op, bool* cancelled) {
    Control ctl;
    std::atomic<bool> stopped{false}, returned{false};
    std::thread worker([&] {
        stopped = throws_cancelled([&] { op(&ctl); });
        returned = true;
    });
    while (ctl.done() == 0 && !returned) std::this_thread::yield();
    ctl.cancel();
    worker.join();
    *cancelled = stopped;
}

template <class T>
View flat(const std::vector<T>& v, std::size_t begin = 0, std::size_t n = std::size_t(-1)) {
    const DType d = std::is_same<T, double>::value  ? DType::Float64
                    : std::is_same<T, float>::value ? DType::Float32
                                                    : DType::Int32;
    return contiguous_view(v.data() + begin, std::min(n, v.size() - begin), d);
}

std::vector<unsigned char> bytes_of(const DataProcessor& p) {
    const Buffer b = p.to_bytes();
    const auto* data = static_cast<const unsigned char*>(b.data());
    return std::vector<unsigned char>(data, data + b.length());
}

double exact_mean(const double* p, std::size_t n) {
    ExactSum s;
    for (std::size_t i = 0; i < n; ++i) s.add(p[i]);
    return s.divided_by(n);
}

// The pointers and sizes of partials, as add_partials takes them.
struct PartialList {
    std::vector<const unsigned char*> ptrs;
    std::vector<std::size_t> sizes;

    explicit PartialList(const std::vector<Buffer>& partials) {
        for (const Buffer& b : partials) {
            ptrs.push_back(static_cast<const unsigned char*>(b.data()));
            sizes.push_back(b.length());
        }
    }
    void add_to(DataProcessor& p) const { p.add_partials(ptrs.data(), sizes.data(), ptrs.size()); }
};

}  // namespace

TEST_CASE("DataProcessor queues, drains full chunks and computes statistics", "[processor]") {
    DataProcessor p(3);
    CHECK(p.statistics().count == 0);
    const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7};
    p.add(flat(v));
    CHECK(p.size() == 7);
    const Statistics s = p.statistics();
    CHECK(s.count == 7);
    CHECK(s.mean == 4.0);
    CHECK(s.std == 2.0);
    Buffer means = p.process_chunks();
    REQUIRE(means.length() == 2);
    CHECK(means.as<double>()[0] == 2.0);
    CHECK(means.as<double>()[1] == 5.0);
    CHECK(p.size() == 1);
    CHECK(p.statistics().mean == 7.0);
    const std::vector<int32_t> more = {8, 9};
    p.add(flat(more));
    Buffer last = p.process_chunks();
    REQUIRE(last.length() == 1);
    CHECK(last.as<double>()[0] == 8.0);
    CHECK(p.size() == 0);
    p.clear();
    CHECK(p.size() == 0);
    CHECK(kind_of([] { DataProcessor bad(0); }) == ErrorKind::InvalidArgument);
}

TEST_CASE("DataProcessor's state does not depend on how the values were added", "[processor]") {
    // Chunks smaller than, equal to and larger than the 32K-value blocks; values of mixed
    // magnitude at an offset (where summation order and cancellation show); adds split at
    // random points, one value at a time, or as partials.
    std::mt19937_64 rng(42);
    std::vector<double> v(150'007);
    for (double& x : v)
        x = 1e6 + std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng),
                             std::uniform_int_distribution<int>(-30, 30)(rng));
    for (std::size_t chunk : {1u, 7u, 1000u, 32768u, 40000u, 100003u}) {
        DataProcessor whole(chunk);
        whole.add(flat(v));
        const auto expected = bytes_of(whole);
        for (int split = 0; split < 3; ++split) {
            DataProcessor p(chunk);
            std::size_t added = 0;
            while (added < v.size()) {
                std::size_t n = std::uniform_int_distribution<std::size_t>(0, 3 * chunk / 2 + 5000)(rng);
                if (split == 2 && added < 3000) n = 1;  // a stream of single values first
                n = std::min(n, v.size() - added);
                p.add(flat(v, added, n));
                added += n;
                CHECK(p.size() == added);
            }
            CHECK(bytes_of(p) == expected);
        }
        Buffer means = whole.process_chunks();
        REQUIRE(means.length() == v.size() / chunk);
        for (std::size_t c = 0; c < means.length(); c += 1 + means.length() / 50)
            REQUIRE(means.as<double>()[c] == exact_mean(v.data() + c * chunk, chunk));
        const std::size_t rest = v.size() % chunk;
        CHECK(whole.size() == rest);
        DataProcessor fresh(chunk);  // the partial chunk left is a processor of its own
        fresh.add(flat(v, v.size() - rest));
        const Statistics a = whole.statistics(), b = fresh.statistics();
        CHECK(a.count == b.count);
        CHECK(std::memcmp(&a.mean, &b.mean, 8) == 0);
        CHECK(std::memcmp(&a.std, &b.std, 8) == 0);
    }
}

TEST_CASE("DataProcessor statistics: exact mean, population std within 1 ulp", "[processor]") {
    // CPython's test_statistics test_shift_data_exact: pstdev 4.369210454990696 at any shift.
    const std::vector<double> base = {1, 3, 3, 4, 5, 7, 9, 10, 11, 16};
    for (double shift : {0.0, 1e9, 1e12}) {
        for (std::size_t chunk : {1u, 3u, 7u, 1000u}) {
            DataProcessor p(chunk);
            for (double x : base) {
                const std::vector<double> one = {x + shift};
                p.add(flat(one));
            }
            const Statistics s = p.statistics();
            CHECK(s.std == 4.369210454990696);
            CHECK(s.mean == (69 + 10 * shift) / 10);  // 69 + 10 shift is exact
        }
    }
    DataProcessor constant(5);
    const std::vector<double> sevens(15, 7.2);
    for (std::size_t i = 0; i < sevens.size(); ++i) constant.add(flat(sevens, i, 1));
    CHECK(constant.statistics().std == 0.0);
    DataProcessor near_max(11);
    const std::vector<double> huge = {0, 0, 0, 0, 0, 0, 0, 2.2158278651204453e+276,
                                      2.9937604643020793e+292, 1.7976931348623155e+308};
    near_max.add(flat(huge));
    CHECK(near_max.statistics().mean == 1.7976931348623158e+307);  // statistics.mean
}

TEST_CASE("DataProcessor reads any view in C order and rejects bad ones unchanged", "[processor]") {
    // A 3 x 4 int32 matrix read transposed and with its rows reversed.
    const int32_t m[12] = {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23};
    DataProcessor p(4);
    View t = contiguous_view(m, 12, DType::Int32);
    t.shape = {4, 3};
    t.strides = {4, 16};
    p.add(t);  // m.T
    View r = contiguous_view(m + 8, 12, DType::Int32);
    r.shape = {4, 3};
    r.strides = {4, -16};
    p.add(r);  // m[::-1].T
    REQUIRE(p.size() == 24);
    Buffer means = p.process_chunks();
    REQUIRE(means.length() == 6);
    CHECK(means.as<double>()[0] == (0 + 10 + 20 + 1) / 4.0);
    CHECK(means.as<double>()[3] == (20 + 10 + 0 + 21) / 4.0);
    const double x = 2.5;
    View scalar = contiguous_view(&x, 1, DType::Float64);
    scalar.shape.clear();
    scalar.strides.clear();
    p.add(scalar);  // a 0-d array: one value
    View broadcast = contiguous_view(&x, 3, DType::Float64);
    broadcast.strides = {0};
    p.add(broadcast);
    CHECK(p.size() == 4);
    p.add(contiguous_view(nullptr, 0, DType::Float64));
    CHECK(p.size() == 4);
    CHECK(kind_of([&] { p.add(contiguous_view(nullptr, 5, DType::Float64)); }) ==
          ErrorKind::InvalidArgument);
    CHECK(kind_of([&] { p.add(contiguous_view(&x, 1, static_cast<DType>(0))); }) == ErrorKind::Type);
    CHECK_THROWS_AS(p.add(contiguous_view(&x, std::size_t(1) << 59, DType::Float64)),
                    std::bad_alloc);  // room for the means first: nothing read
    CHECK(p.size() == 4);
    CHECK(p.statistics().mean == 2.5);
}

TEST_CASE("a DataProcessor add cancelled midway keeps the held means and partial chunk",
          "[processor]") {
    DataProcessor p(1000);
    std::vector<double> first(1500);
    std::iota(first.begin(), first.end(), 0.0);
    p.add(flat(first));  // one full chunk and 500 values
    const auto before = bytes_of(p);
    std::vector<double> big(std::size_t(1) << 24, 3.0);  // 128 MB: 512 blocks
    for (int attempt = 0; attempt < 3; ++attempt) {
        bool stopped = false;
        cancel_midway([&](Control* ctl) { p.add(flat(big), ctl); }, &stopped);
        if (!stopped) {  // it finished first: undo it for the next attempt
            p.clear();
            p.add(flat(first));
            continue;
        }
        CHECK(bytes_of(p) == before);
    }
    Buffer means = p.process_chunks();
    REQUIRE(means.length() == 1);
    CHECK(means.as<double>()[0] == 499.5);
    CHECK(p.size() == 500);
    CHECK(p.statistics().mean == 1249.5);
}

TEST_CASE("a cancelled DataProcessor call leaves the queue as it was", "[processor]") {
    DataProcessor p(3);
    const std::vector<double> first = {1, 2, 3, 4};
    p.add(flat(first));
    Control cancelled;
    cancelled.cancel();
    const std::vector<double> more(1 << 20, 1.0);
    CHECK(throws_cancelled([&] { p.add(flat(more), &cancelled); }));
    CHECK(throws_cancelled([&] { p.process_chunks(&cancelled); }));
    CHECK(throws_cancelled([&] { p.statistics(&cancelled); }));
    CHECK(p.size() == 4);
    std::vector<float> big(std::size_t(1) << 23, 2.0f);
    for (int attempt = 0; attempt < 3; ++attempt) {
        const std::size_t before = p.size();
        bool stopped = false;
        cancel_midway([&](Control* ctl) { p.add(flat(big), ctl); }, &stopped);
        CHECK(p.size() == (stopped ? before : before + big.size()));
    }
    const std::size_t held = p.size();
    bool stopped = false;
    Buffer means;
    cancel_midway([&](Control* ctl) { means = p.process_chunks(ctl); }, &stopped);
    if (stopped) {
        CHECK(p.size() == held);
    } else {
        CHECK(p.size() == held % 3);
        CHECK(means.length() == held / 3);
    }
    CHECK(p.statistics().count == p.size());
}

TEST_CASE("DataProcessor state round-trips through bytes and refuses foreign ones", "[processor]") {
    std::vector<double> v(70'001);
    std::iota(v.begin(), v.end(), 0.5);
    for (std::size_t chunk : {3u, 50'000u}) {
        DataProcessor p(chunk);
        p.add(flat(v));
        const Buffer b = p.to_bytes();
        const auto* data = static_cast<const unsigned char*>(b.data());
        const auto copy = DataProcessor::from_bytes(data, b.length());
        CHECK(bytes_of(*copy) == bytes_of(p));
        CHECK(copy->chunk_size() == chunk);
        DataProcessor twin(p);
        CHECK(bytes_of(twin) == bytes_of(p));
        std::vector<unsigned char> bad(data, data + b.length());
        CHECK(kind_of([&] { DataProcessor::from_bytes(bad.data(), bad.size() - 1); }) ==
              ErrorKind::InvalidArgument);
        bad[4] = 9;  // another format version
        CHECK(kind_of([&] { DataProcessor::from_bytes(bad.data(), bad.size()); }) ==
              ErrorKind::InvalidArgument);
        bad[4] = data[4];
        bad[16] ^= 1;  // a held count that the rest contradicts
        CHECK(kind_of([&] { DataProcessor::from_bytes(bad.data(), bad.size()); }) ==
              ErrorKind::InvalidArgument);
    }
    CHECK(kind_of([] { DataProcessor::from_bytes(nullptr, 0); }) == ErrorKind::InvalidArgument);
}

TEST_CASE("DataProcessor partials give the state of one add of the whole", "[processor]") {
    std::mt19937_64 rng(5);
    std::vector<double> v(120'000);
    for (double& x : v) x = std::normal_distribution<double>(1e8, 5)(rng);
    for (std::size_t chunk : {1u, 6u, 999u, 40'000u}) {
        for (std::size_t held : {0u, 5u, 33'000u}) {
            DataProcessor whole(chunk), parts(chunk);
            const std::vector<double> first(held, 2.0);
            whole.add(flat(first));
            parts.add(flat(first));
            whole.add(flat(v));
            std::vector<Buffer> partials;
            for (std::size_t begin = 0; begin < v.size();) {
                const std::size_t n = std::min<std::size_t>(
                    v.size() - begin, std::uniform_int_distribution<std::size_t>(0, 50'000)(rng));
                partials.push_back(DataProcessor::partial(flat(v, begin, n), chunk, held + begin));
                begin += n;
            }
            PartialList list(partials);
            list.add_to(parts);
            CHECK(bytes_of(parts) == bytes_of(whole));
            if (list.ptrs.size() > 1) {  // out of order: refused, nothing changes
                const auto before = bytes_of(whole);
                std::swap(list.ptrs[0], list.ptrs[1]);
                std::swap(list.sizes[0], list.sizes[1]);
                DataProcessor again(chunk);
                again.add(flat(first));
                const auto start = bytes_of(again);
                CHECK(kind_of([&] { list.add_to(again); }) == ErrorKind::InvalidArgument);
                CHECK(bytes_of(again) == start);
            }
        }
    }
    DataProcessor other(4);
    const Buffer b = DataProcessor::partial(flat(v, 0, 10), 3, 0);
    const unsigned char* ptr = static_cast<const unsigned char*>(b.data());
    const std::size_t size = b.length();
    CHECK(kind_of([&] { other.add_partials(&ptr, &size, 1); }) == ErrorKind::InvalidArgument);
}

TEST_CASE("chunk means are correctly rounded, ties to even, for every chunk size", "[processor]") {
    // Values with few significant bits make exact quotients and exact ties common: the fast
    // division's certificate must get every one of them right.
    std::mt19937_64 rng(17);
    for (std::size_t chunk = 2; chunk <= 40; ++chunk) {
        std::vector<double> v(chunk * 500);
        for (std::size_t i = 0; i < v.size(); ++i) {
            const int kind = static_cast<int>(rng() % 3);
            const double x = kind == 0   ? static_cast<double>(static_cast<int64_t>(rng() % 2001) - 1000) / 4
                             : kind == 1 ? std::ldexp(static_cast<double>(rng() >> 11), -52)
                                         : std::normal_distribution<double>(0, 1e3)(rng);
            v[i] = x * (i % 5 == 0 ? 1e16 : 1.0);
        }
        DataProcessor p(chunk);
        p.add(flat(v));
        Buffer means = p.process_chunks();
        REQUIRE(means.length() == 500);
        for (std::size_t c = 0; c < 500; ++c)
            REQUIRE(means.as<double>()[c] == exact_mean(v.data() + c * chunk, chunk));
    }
}

TEST_CASE("chunk sizes within 32K of 2^64 cut their chunks into blocks without wrapping",
          "[processor]") {
    // ceil(chunk / 32768) as (chunk + 32767) / 32768 wrapped to 0 above 2^64 - 32768: every add
    // that completed a block divided by zero (SIGFPE). Such a processor holds no full chunk, so
    // its statistics are those of any other long-chunked one, and adds, partials and bytes agree.
    std::mt19937_64 rng(11);
    std::vector<double> v(100'001);
    for (double& x : v) x = std::normal_distribution<double>(3, 2)(rng);
    DataProcessor reference(uint64_t(1) << 40);
    reference.add(flat(v));
    for (uint64_t chunk : {UINT64_MAX, UINT64_MAX - 32766, UINT64_MAX - 32767}) {
        DataProcessor whole(chunk), pieces(chunk), parts(chunk);
        whole.add(flat(v));
        for (std::size_t begin = 0; begin < v.size(); begin += 30'000)
            pieces.add(flat(v, begin, 30'000));
        std::vector<Buffer> partials;
        for (std::size_t begin = 0; begin < v.size(); begin += 40'000)
            partials.push_back(DataProcessor::partial(flat(v, begin, 40'000), chunk, begin));
        PartialList(partials).add_to(parts);
        CHECK(bytes_of(pieces) == bytes_of(whole));
        CHECK(bytes_of(parts) == bytes_of(whole));
        const Statistics a = whole.statistics(), b = reference.statistics();
        CHECK(a.count == v.size());
        CHECK(std::memcmp(&a.mean, &b.mean, 8) == 0);
        CHECK(std::memcmp(&a.std, &b.std, 8) == 0);
        CHECK(whole.process_chunks().length() == 0);
        CHECK(whole.size() == v.size());
    }
}

TEST_CASE("partials in the last chunk below 2^64 see its blocks whole", "[processor]") {
    // With chunk 2^63, the chunk [2^63, 2^64) ends at 2^64, which wraps to 0: block_end took
    // min(block end, 0), so a partial crossing 2^63 read a block of no length (a crash).
    std::vector<double> v(70'001);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.25 * double(i % 1000) - 7;
    const uint64_t chunk = uint64_t(1) << 63;
    for (uint64_t offset : {chunk - 1, chunk - 40'000, chunk + 5})
        CHECK(DataProcessor::partial(flat(v), chunk, offset).length() > 0);
    DataProcessor whole(chunk), parts(chunk);  // chunk + offset is offset modulo the period
    whole.add(flat(v));
    std::vector<Buffer> partials;
    partials.push_back(DataProcessor::partial(flat(v, 0, 40'000), chunk, chunk));
    partials.push_back(DataProcessor::partial(flat(v, 40'000), chunk, chunk + 40'000));
    PartialList(partials).add_to(parts);
    CHECK(bytes_of(parts) == bytes_of(whole));
}

namespace {
// The bytes of a processor of chunk size 2^64 - 1 that holds 2^64 - 2 values: 32766 open ones
// after blocks whose Moments claim 2^64 - 32768 values (forged: no data gets there).
std::vector<unsigned char> nearly_full_processor() {
    std::vector<unsigned char> out = {'H', 'L', 'D', 'P', 1, 0, 0, 0};
    const auto u64 = [&](uint64_t v) {
        for (int k = 0; k < 8; ++k) out.push_back(static_cast<unsigned char>(v >> (8 * k)));
    };
    const double one = 1.0;
    unsigned char m[Moments::kBytes];
    Moments::of(contiguous_view(&one, 1, DType::Float64), NanPolicy::Propagate).to_bytes(m);
    for (int k = 0; k < 8; ++k) m[8 + k] = static_cast<unsigned char>((UINT64_MAX - 32767) >> (8 * k));
    const std::size_t open = 32766;
    u64(UINT64_MAX);      // chunk size
    u64(UINT64_MAX - 1);  // values held
    u64(0);               // no full chunk
    out.insert(out.end(), m, m + sizeof m);  // the completed blocks
    out.insert(out.end(), m, m + sizeof m);  // those of the open chunk
    u64(open);
    for (std::size_t i = 0; i < open; ++i) u64(0x3ff0000000000000u);  // 1.0
    return out;
}
}  // namespace

TEST_CASE("a processor never holds more than 2^64 - 1 values: more is Overflow", "[processor]") {
    // Its count wrapped: add of 3 values to a (forged) processor holding 2^64 - 2 crashed
    // (SIGSEGV), and add_partials would have wrapped the count too.
    const std::vector<unsigned char> bytes = nearly_full_processor();
    const auto p = DataProcessor::from_bytes(bytes.data(), bytes.size());
    REQUIRE(p->size() == UINT64_MAX - 1);
    const std::vector<double> three = {1, 2, 3}, one = {4};
    CHECK(kind_of([&] { p->add(flat(three)); }) == ErrorKind::Overflow);
    CHECK(bytes_of(*p) == bytes);
    std::vector<Buffer> partial;
    partial.push_back(DataProcessor::partial(flat(three), UINT64_MAX, UINT64_MAX - 32768));
    CHECK(kind_of([&] { PartialList(partial).add_to(*p); }) == ErrorKind::Overflow);
    CHECK(bytes_of(*p) == bytes);
    p->add(flat(one));  // the 2^64 - 1st value still fits
    CHECK(p->size() == UINT64_MAX);
    CHECK(p->statistics().count == UINT64_MAX);
    CHECK(kind_of([&] { p->add(flat(one)); }) == ErrorKind::Overflow);
}

TEST_CASE("a block of NaN and one repeated value gives NaN chunk means", "[processor]") {
    // make test-fuzz (long adds, 2026-12): min_max ignores NaN, so a complete block of NaN and
    // 1.0 looked constant and each of its chunks' means was 1.0. Every phase of the pattern, in
    // blocks inside the add (the parallel path) and completing the open one.
    for (const std::size_t chunk : {16, 57, 64}) {
        for (std::size_t phase = 0; phase < 8; ++phase) {
            std::vector<double> v(70'000);
            for (std::size_t i = 0; i < v.size(); ++i) v[i] = (i + phase) % 8 == 7 ? 1.0 : NAN;
            DataProcessor whole(chunk), pieces(chunk);
            whole.add(flat(v));
            pieces.add(flat(v, 0, 1));
            pieces.add(flat(v, 1));
            for (DataProcessor* p : {&whole, &pieces}) {
                Buffer means = p->process_chunks();
                REQUIRE(means.length() == v.size() / chunk);
                std::size_t numbers = 0;
                for (std::size_t c = 0; c < means.length(); ++c)
                    numbers += !std::isnan(means.as<double>()[c]);
                CHECK(numbers == 0);
            }
        }
    }
}
