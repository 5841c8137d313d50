// Control: cancellation flag, progress counters and the completion state watchers wait on.
#include <exception>

#include "hotloop/parallel.hpp"

namespace hotloop {

void Control::cancel() noexcept {
    cancelled_.store(true, std::memory_order_relaxed);
    // Taking the mutex between the store and the notify means a sleeper that saw "not cancelled"
    // under the mutex is already waiting, so the wake-up cannot be lost.
    { std::lock_guard<std::mutex> lock(mutex_); }
    changed_.notify_all();
}

void Control::set_progress(uint64_t done, uint64_t total) noexcept {
    caller_progress_.store(true, std::memory_order_relaxed);
    // total first, as progress readers read it first: done <= total for every reader.
    total_.store(total, std::memory_order_relaxed);
    done_.store(done, std::memory_order_relaxed);
}

void Control::begin() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_)
        fail(ErrorKind::InvalidArgument,
             "this hl_control is already used by a running operation (one at a time)");
    running_ = true;
    finished_ = false;
    // The previous operation's outcome is gone with it: no message without a finished operation.
    outcome_ = 0;
    message_.clear();
}

void Control::finish(int outcome, const char* message) noexcept {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        running_ = false;
        finished_ = true;
        outcome_ = outcome;
        try {
            message_ = message ? message : "";
        } catch (...) {
            message_.clear();  // out of memory: the outcome code still tells what happened
        }
    }
    changed_.notify_all();
}

bool Control::wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto done = [&] { return finished_; };
    // Timed waits of at most a day, in a loop. Not condition_variable::wait(lock): with GCC 12
    // headers that call binds to a libstdc++ symbol of GLIBCXX_3.4.30, which alone would raise
    // the wheel's manylinux baseline from glibc 2.34 to 2.35 (docs/packaging.md); wait_for is
    // inline and uses pthread_cond_clockwait, which glibc 2.34 has. Not one wait_for(timeout)
    // either: it converts the timeout to the clock's nanoseconds and adds it to now(), which
    // overflows (undefined; in practice a wait that ends at once) beyond ~292 years, and
    // hl_control_wait accepts any int64 of milliseconds.
    constexpr std::chrono::milliseconds kSlice = std::chrono::hours(24);
    const bool forever = timeout.count() < 0;
    while (forever || timeout > kSlice) {
        if (changed_.wait_for(lock, kSlice, done)) return true;
        if (!forever) timeout -= kSlice;
    }
    return changed_.wait_for(lock, timeout, done);
}

bool Control::running() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_;
}

bool Control::finished() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return finished_;
}

int Control::outcome() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return outcome_;
}

std::string Control::message() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return message_;
}

void Control::reset() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_)
        fail(ErrorKind::InvalidArgument, "cannot reset an hl_control while its operation runs");
    cancelled_.store(false, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    total_.store(0, std::memory_order_relaxed);
    caller_progress_.store(false, std::memory_order_relaxed);
    checks_.store(0, std::memory_order_relaxed);
    finished_ = false;
    outcome_ = 0;
    message_.clear();
}

bool Control::sleep_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_until(lock, deadline, [&] { return cancelled(); });
    return cancelled();
}

}  // namespace hotloop
