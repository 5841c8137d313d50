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

// What happened to an operation cancelled while it ran.
struct CancelOutcome {
    bool cancelled = false;     // it stopped with Cancelled (else it had finished first)
    uint64_t done_at_cancel = 0;  // progress read just after cancel()
    uint64_t done_at_end = 0;     // progress when it returned
    double seconds = 0;           // from cancel() to its return (printed, never asserted)
};

// Runs op(ctl) on a thread and cancels it once it has made progress.
CancelOutcome cancel_while_running(const std::function<void(Control*)>& op) {
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
    CancelOutcome out;
    out.done_at_cancel = ctl.done();
    worker.join();
    out.seconds = seconds_since(start);
    out.cancelled = stopped_by_cancel;
    out.done_at_end = ctl.done();
    return out;
}

// "Within one block", without timing: every block checks the control before it starts, so once
// cancel() has returned only the blocks already running may still finish - at most one per
// thread of the arena.
void check_stopped_within_one_block(const CancelOutcome& out) {
    INFO("stopped " << out.seconds * 1e3 << " ms after the cancel");
    CHECK(out.done_at_end - out.done_at_cancel <= static_cast<uint64_t>(get_num_threads()));
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
    const CancelOutcome out =
        cancel_while_running([&](Control* ctl) { parallel_blocks(20000, spin, ctl); });
    CHECK(out.cancelled);
    check_stopped_within_one_block(out);
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

TEST_CASE("cancelling a long sum takes effect within one block") {
    std::vector<double> data(std::size_t(1) << 25, 0.5);  // 256 MB
    for (int attempt = 0; attempt < 3; ++attempt) {
        const View view = contiguous_view(data.data(), data.size(), DType::Float64);
        const CancelOutcome out =
            cancel_while_running([&](Control* ctl) { sum_float(view, ctl); });
        if (out.cancelled) check_stopped_within_one_block(out);  // or it had finished first
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
    const auto start = Clock::now();
    const CancelOutcome out = cancel_while_running([](Control* ctl) { sleep_for(30.0, ctl); });
    CHECK(out.cancelled);
    CHECK(seconds_since(start) < 30.0);  // cut short (how soon: make bench, not a test)
}
