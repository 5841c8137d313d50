// The engine's parallel runtime: a library-owned tbb::task_arena that bounds the worker count,
// a deterministic block loop, and the Control that lets a caller cancel work and watch progress.
//
// Determinism: every kernel splits its input into blocks whose boundaries depend only on the input
// size (never on the thread count), computes one partial result per block, and combines the
// partials in block order. Results are therefore the same whatever the number of threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <memory>
#include <vector>
#include <mutex>
#include <string>
#include <thread>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "hotloop/error.hpp"

#if defined(HOTLOOP_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace hotloop {

// ---- thread count ----
// The default comes from HOTLOOP_NUM_THREADS, else tbb::info::default_concurrency() (the CPUs
// this process may run on: its affinity mask, not the machine's hardware concurrency).
// The worker counts the library accepts, from set_num_threads and HOTLOOP_NUM_THREADS alike.
constexpr int kMaxThreads = 4096;
void set_num_threads(int n);  // 1 <= n <= kMaxThreads, else ErrorKind::InvalidArgument
int get_num_threads();
// The arena parallel work runs in. Callers keep the shared_ptr for the duration of their work,
// so set_num_threads() may replace the arena while work is running.
std::shared_ptr<tbb::task_arena> current_arena();
// Counts the parallel regions in flight, process-wide. A process forked while one runs holds a
// copy of the thread pool in mid-operation whose workers exist only in the parent: waiting for
// them would hang forever, so in such a child parallel_blocks runs its blocks one after the other
// on the calling thread (forked_mid_region()), and current_arena() throws ErrorKind::Internal
// (a fork while the pool is idle is fine). parallel_blocks brackets its region with one.
bool forked_mid_region() noexcept;  // this process is such a child
class ParallelRegion {
public:
    ParallelRegion() noexcept;
    ~ParallelRegion();
    ParallelRegion(const ParallelRegion&) = delete;
    ParallelRegion& operator=(const ParallelRegion&) = delete;
};

// ---- cancellation, progress and completion ----
// A Control is shared between the thread that runs an operation and the threads that watch it.
// Cancellation is a sticky flag the operation polls (per block, or every few milliseconds of a
// serial loop), so cancel() takes effect within one block. begin()/finish() bracket one operation
// at a time: watchers wait() for finish(), which records an outcome code and message that the
// engine does not interpret (the C API stores its hl_status there).
class Control {
public:
    // Safe from any thread, at any time; wakes sleep_until() at once.
    void cancel() noexcept;
    bool cancelled() const noexcept { return cancelled_.load(std::memory_order_relaxed); }
    // Throws Error(Cancelled) if cancel() was called.
    void check() const {
        checks_.fetch_add(1, std::memory_order_relaxed);
        if (cancelled()) fail(ErrorKind::Cancelled, "operation cancelled");
    }
    // How many times check() ran since construction or reset(): tests measure with it how
    // often an operation looks for a cancel (once per block of work, never per element).
    uint64_t checks() const noexcept { return checks_.load(std::memory_order_relaxed); }
    // The engine's progress: ignored once a caller reports its own (set_progress).
    void add_total(uint64_t n) noexcept {
        if (!caller_progress_.load(std::memory_order_relaxed))
            total_.fetch_add(n, std::memory_order_relaxed);
    }
    void advance(uint64_t n) noexcept {
        if (!caller_progress_.load(std::memory_order_relaxed))
            done_.fetch_add(n, std::memory_order_relaxed);
    }
    // For a caller that runs one operation as several calls with this Control (a file decoded
    // and counted in pieces): done of total in its own units, which from then on (until
    // reset) are the only ones counted, so that one report covers the whole operation.
    void set_progress(uint64_t done, uint64_t total) noexcept;
    uint64_t done() const noexcept { return done_.load(std::memory_order_relaxed); }
    uint64_t total() const noexcept { return total_.load(std::memory_order_relaxed); }

    // Marks an operation as running (clears a previous finish). Throws InvalidArgument if another
    // operation is running with this Control: one operation at a time.
    void begin();
    // Marks the running operation finished with an outcome and wakes every wait().
    void finish(int outcome, const char* message) noexcept;
    // Waits until an operation has finished, at most `timeout` (forever if negative). True when
    // finished.
    bool wait(std::chrono::milliseconds timeout);
    bool running() const;
    bool finished() const;
    // Outcome and message given to the last finish() (0 and "" before any).
    int outcome() const;
    std::string message() const;
    // Back to a fresh Control (not cancelled, no progress, not finished). Throws InvalidArgument
    // while an operation is running.
    void reset();
    // Sleeps until `deadline` or until cancel(), whichever comes first; true if cancelled.
    bool sleep_until(std::chrono::steady_clock::time_point deadline);

private:
    std::atomic<bool> cancelled_{false};
    std::atomic<uint64_t> done_{0};
    std::atomic<uint64_t> total_{0};
    std::atomic<bool> caller_progress_{false};  // set_progress was called: add_total/advance no-ops
    mutable std::atomic<uint64_t> checks_{0};
    mutable std::mutex mutex_;  // guards the completion state below, and orders cancel wake-ups
    std::condition_variable changed_;
    bool running_ = false;
    bool finished_ = false;
    int outcome_ = 0;
    std::string message_;
};

// ---- block loops ----

#if defined(HOTLOOP_TSAN)
namespace detail {
// `make tsan` only. libtbb is not instrumented, so ThreadSanitizer cannot see the ordering TBB
// guarantees: a copy of a region's body is handed from the thread that made it to the thread
// that runs it (in task memory TBB recycles), and every block ends before the region returns,
// also when one throws. This wrapper states exactly that and nothing more: each copy is released
// when made and acquired before use (and its memory's previous occupant is acquired before it is
// overwritten), and each run releases `end`, which the caller acquires when the region ends. Two
// blocks stay unordered, so a race between blocks is still reported.
inline void tsan_acquire(const void* at) { __tsan_acquire(const_cast<void*>(at)); }
inline void tsan_release(const void* at) { __tsan_release(const_cast<void*>(at)); }

struct TsanRelease {  // releases `at` when the scope ends, exception or not
    const void* at;
    ~TsanRelease() { tsan_release(at); }
};
struct TsanAcquire {  // acquires `at` when the scope ends, exception or not
    const void* at;
    ~TsanAcquire() { tsan_acquire(at); }
};

template <class Body>
class TsanOrderedBody {
public:
    TsanOrderedBody(const Body& body, const char* end) : body_(previous(this, body)), end_(end) {
        tsan_release(this);
    }
    TsanOrderedBody(const TsanOrderedBody& other)
        : body_(previous(this, acquired(other).body_)), end_(other.end_) {
        tsan_release(this);
    }
    ~TsanOrderedBody() { tsan_release(this); }
    template <class Range>
    void operator()(const Range& r) const {
        tsan_acquire(this);
        const TsanRelease self{this}, region{end_};
        body_(r);
    }

private:
    // Acquires what earlier users of this memory released, before the body is copied into it.
    static const Body& previous(const void* memory, const Body& body) {
        tsan_acquire(memory);
        return body;
    }
    static const TsanOrderedBody& acquired(const TsanOrderedBody& other) {
        tsan_acquire(&other);
        return other;
    }
    Body body_;
    const char* end_;
};
}  // namespace detail
#endif
// Number of blocks of block_size elements needed for n elements (the last may be partial).
constexpr std::size_t block_count(std::size_t n, std::size_t block_size) noexcept {
    return n / block_size + (n % block_size != 0);
}

// Calls body(b) for every block b in [0, n_blocks), in parallel inside the library's arena.
// Progress advances by one per block; a cancelled Control stops the loop with
// Error(Cancelled) (checked before each block). An exception thrown by body cancels the
// remaining blocks and is rethrown here. A single block runs inline on the calling thread, and so
// do all of them in a child forked during another thread's parallel work (ParallelRegion).
template <class Body>
void parallel_blocks(std::size_t n_blocks, Body&& body, Control* ctl = nullptr) {
    if (ctl) ctl->add_total(n_blocks);
    auto run_block = [&](std::size_t b) {
        if (ctl) ctl->check();
        body(b);
        if (ctl) ctl->advance(1);
    };
    if (n_blocks == 0) return;
    if (n_blocks == 1 || forked_mid_region()) {
        // The pool of a child forked mid-region cannot run: the same blocks, one by one (the
        // results never depend on the thread count), rather than an error.
        for (std::size_t b = 0; b < n_blocks; ++b) run_block(b);
        return;
    }
    const ParallelRegion region;
    auto arena = current_arena();
    auto blocks = [&](const tbb::blocked_range<std::size_t>& r) {
        for (std::size_t b = r.begin(); b != r.end(); ++b) run_block(b);
    };
#if defined(HOTLOOP_TSAN)
    const char region_end = 0;
    const detail::TsanAcquire after_region{&region_end};
    arena->execute([&] {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n_blocks, 1),
                          detail::TsanOrderedBody<decltype(blocks)>(blocks, &region_end));
    });
#else
    arena->execute([&] {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n_blocks, 1), blocks);
    });
#endif
}

// The deterministic reduction of the sums and statistics (reduce.cpp's view_blocks, Moments::of;
// the other kernels call parallel_blocks directly): n elements in blocks of block_size;
// compute(begin, length) returns one block's partial result, in parallel; fold(partial, length)
// then takes the partials in block order, on the calling thread.
template <class Partial, class Compute, class Fold>
void reduce_blocks(std::size_t n, std::size_t block_size, Compute&& compute, Fold&& fold,
                   Control* ctl = nullptr) {
    const std::size_t blocks = block_count(n, block_size);
    std::vector<Partial> partials(blocks);
    parallel_blocks(
        blocks,
        [&](std::size_t b) {
            const std::size_t begin = b * block_size;
            partials[b] = compute(begin, std::min(block_size, n - begin));
        },
        ctl);
    for (std::size_t b = 0; b < blocks; ++b)
        fold(partials[b], std::min(block_size, n - b * block_size));
}

}  // namespace hotloop
