// The engine's Control: cancellation within one block, progress, completion and waiting.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <functional>
#include <chrono>
#include <numeric>
#include <thread>
#include <vector>

#include "hotloop/parallel.hpp"
#include "hotloop/reduce.hpp"
#include "hotloop/timing.hpp"

using namespace hotloop;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

bool throws_cancelled(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.kind() == ErrorKind::Cancelled;
    }
    return false;
}

// Runs op(ctl) on a thread, cancels it once it has made progress, and returns the seconds from
// cancel() to the operation's return. *cancelled tells whether it stopped with Cancelled (it may
// also have finished first).
double cancel_latency(const std::function<void(Control*)>& op, bool* cancelled) {
    Control ctl;
    std::atomic<bool> stopped_by_cancel{false};
    std::atomic<bool> returned{false};
    std::thread worker([&] {
        stopped_by_cancel = throws_cancelled([&] { op(&ctl); });
        returned = true;
    });
    while (ctl.done() == 0 && !returned) std::this_thread::yield();
    const auto start = Clock::now();
    ctl.cancel();
    worker.join();
    *cancelled = stopped_by_cancel;
    return seconds_since(start);
}

}  // namespace

TEST_CASE("cancel is sticky and check() throws Cancelled") {
    Control ctl;
    CHECK_FALSE(ctl.cancelled());
    CHECK_NOTHROW(ctl.check());
    ctl.cancel();
    CHECK(ctl.cancelled());
    CHECK(throws_cancelled([&] { ctl.check(); }));
    ctl.reset();
    CHECK_FALSE(ctl.cancelled());
}

TEST_CASE("begin/finish/wait: one operation at a time, waiters wake at finish") {
    Control ctl;
    CHECK_FALSE(ctl.wait(milliseconds(10)));  // nothing finished yet
    ctl.begin();
    CHECK(ctl.running());
    CHECK_THROWS_AS(ctl.begin(), Error);  // a second operation is refused
    CHECK_THROWS_AS(ctl.reset(), Error);  // and so is a reset while running
    std::thread waiter([&] { CHECK(ctl.wait(milliseconds(-1))); });
    std::this_thread::sleep_for(milliseconds(20));
    ctl.finish(7, "seven");
    waiter.join();
    CHECK(ctl.finished());
    CHECK_FALSE(ctl.running());
    CHECK(ctl.outcome() == 7);
    CHECK(ctl.message() == "seven");
    CHECK(ctl.wait(milliseconds(0)));
    ctl.begin();  // a new operation clears the previous finish
    CHECK_FALSE(ctl.finished());
    ctl.finish(0, nullptr);
    CHECK(ctl.message().empty());
    ctl.reset();
    CHECK_FALSE(ctl.finished());
    CHECK(ctl.done() == 0);
    CHECK(ctl.total() == 0);
}

TEST_CASE("parallel_blocks stops within one block of a cancel") {
    // 20000 blocks of 1 ms of spinning: 10 s of work on 2 cores.
    std::atomic<std::size_t> ran{0};
    auto spin = [&](std::size_t) {
        const auto end = Clock::now() + milliseconds(1);
        while (Clock::now() < end) {
        }
        ++ran;
    };
    bool cancelled = false;
    const double latency = cancel_latency([&](Control* ctl) { parallel_blocks(20000, spin, ctl); },
                                          &cancelled);
    CHECK(cancelled);
    CHECK(latency < 0.1);
    CHECK(ran < 20000);
}

TEST_CASE("a cancelled Control stops an operation before it starts") {
    Control ctl;
    ctl.cancel();
    std::vector<int64_t> data(1 << 20, 1);
    CHECK(throws_cancelled(
        [&] { sum_int(contiguous_view(data.data(), data.size(), DType::Int64), &ctl); }));
    std::vector<double> d(1 << 16, 1.0);
    CHECK(throws_cancelled(
        [&] { sum_float(contiguous_view(d.data(), d.size(), DType::Float64), &ctl); }));
}

TEST_CASE("cancelling a long sum takes effect within 100 ms") {
    std::vector<double> data(std::size_t(1) << 25, 0.5);  // 256 MB
    for (int attempt = 0; attempt < 3; ++attempt) {
        bool cancelled = false;
        const double latency = cancel_latency(
            [&](Control* ctl) {
                sum_float(contiguous_view(data.data(), data.size(), DType::Float64), ctl);
            },
            &cancelled);
        CHECK(latency < 0.1);  // stopped, or finished, within 100 ms of the cancel
    }
}

TEST_CASE("progress counts blocks and ends at the total") {
    Control ctl;
    std::vector<int32_t> data((std::size_t(1) << 16) * 10 + 5, 2);
    CHECK(sum_int(contiguous_view(data.data(), data.size(), DType::Int32), &ctl) ==
          int128_t(2) * data.size());
    CHECK(ctl.total() == 11);
    CHECK(ctl.done() == 11);
}

TEST_CASE("sleep_for: validation, progress, cancellation at once") {
    CHECK_THROWS_AS(sleep_for(-1.0), Error);
    CHECK_THROWS_AS(sleep_for(std::nan("")), Error);
    CHECK_THROWS_AS(sleep_for(2e9), Error);
    {
        Control ctl;
        const auto start = Clock::now();
        sleep_for(0.12, &ctl);
        CHECK(seconds_since(start) >= 0.12);
        CHECK(ctl.total() == 120);
        CHECK(ctl.done() == 120);
    }
    bool cancelled = false;
    const double latency = cancel_latency([](Control* ctl) { sleep_for(30.0, ctl); }, &cancelled);
    CHECK(cancelled);
    CHECK(latency < 0.1);
}
