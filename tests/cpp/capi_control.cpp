// hl_control through the C API: wait with timeout, result and message, reset, hl_sleep, and a
// C thread (pthread) cancelling an operation that runs on another thread.
#include <catch2/catch.hpp>

#include <pthread.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "hotloop.h"

using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

struct SleepJob {
    double seconds;
    hl_control* ctl;
    hl_status status;
};

void* run_sleep(void* arg) {
    auto* job = static_cast<SleepJob*>(arg);
    job->status = hl_sleep(job->seconds, job->ctl);
    return nullptr;
}

// Starts job (an hl_sleep on job.ctl) on a new thread and returns once it runs (its progress
// has a total): a long one holds the control until cancelled.
void start_sleep(SleepJob& job, pthread_t& thread) {
    REQUIRE(pthread_create(&thread, nullptr, run_sleep, &job) == 0);
    uint64_t done = 0, total = 0;
    hl_status progress_status = HL_OK;
    while (total == 0 && progress_status == HL_OK)
        progress_status = hl_control_progress(job.ctl, &done, &total);
    REQUIRE(progress_status == HL_OK);
}

hl_control* make_control() {
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(ctl != nullptr);
    return ctl;
}

std::string message_of(const hl_control* ctl) {
    char buf[256];
    REQUIRE(hl_control_message(ctl, buf, sizeof buf) == HL_OK);
    return buf;
}

}  // namespace

TEST_CASE("hl_control: NULL handles and out-parameters are errors, destroy(NULL) is not") {
    hl_control_destroy(nullptr);
    CHECK(hl_control_create(nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_control_cancel(nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_control_wait(nullptr, 0) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_control_reset(nullptr) == HL_ERR_INVALID_ARGUMENT);
    hl_status status;
    CHECK(hl_control_result(nullptr, &status) == HL_ERR_INVALID_ARGUMENT);
    hl_control* ctl = make_control();
    CHECK(hl_control_result(ctl, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_control_message(ctl, nullptr, 10) == HL_ERR_INVALID_ARGUMENT);
    char buf[4];
    CHECK(hl_control_message(ctl, buf, 0) == HL_ERR_INVALID_ARGUMENT);
    hl_control_destroy(ctl);
}

TEST_CASE("a C thread cancels the operation another thread runs; wait reports it at once") {
    hl_control* ctl = make_control();
    SleepJob job{3600.0, ctl, -1};
    const auto start = Clock::now();
    pthread_t thread;
    REQUIRE(pthread_create(&thread, nullptr, run_sleep, &job) == 0);

    CHECK(hl_control_wait(ctl, 50) == HL_ERR_TIMEOUT);  // still sleeping (or not started yet)
    CHECK(std::string(hl_last_error_message()).find("did not finish") != std::string::npos);
    hl_status status;
    CHECK(hl_control_result(ctl, &status) == HL_ERR_INVALID_ARGUMENT);  // nothing finished
    uint64_t done = 0, total = 0;
    while (done == 0) REQUIRE(hl_control_progress(ctl, &done, &total) == HL_OK);
    CHECK(total == 3600000);
    CHECK(done < total);

    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    CHECK(hl_control_wait(ctl, -1) == HL_OK);
    CHECK(seconds_since(start) < 3600.0);  // cut short (how soon: make bench, not a test)
    REQUIRE(pthread_join(thread, nullptr) == 0);
    CHECK(job.status == HL_ERR_CANCELLED);
    REQUIRE(hl_control_result(ctl, &status) == HL_OK);
    CHECK(status == HL_ERR_CANCELLED);
    CHECK(message_of(ctl) == "operation cancelled");
    int cancelled = 0;
    REQUIRE(hl_control_is_cancelled(ctl, &cancelled) == HL_OK);
    CHECK(cancelled == 1);

    // Cancellation is sticky until reset: the next operation fails at once.
    CHECK(hl_sleep(10.0, ctl) == HL_ERR_CANCELLED);
    REQUIRE(hl_control_reset(ctl) == HL_OK);
    REQUIRE(hl_control_is_cancelled(ctl, &cancelled) == HL_OK);
    CHECK(cancelled == 0);
    CHECK(hl_control_wait(ctl, 0) == HL_ERR_TIMEOUT);  // reset forgets the finished operation
    CHECK(hl_sleep(0.01, ctl) == HL_OK);
    CHECK(hl_control_wait(ctl, -1) == HL_OK);
    REQUIRE(hl_control_result(ctl, &status) == HL_OK);
    CHECK(status == HL_OK);
    CHECK(message_of(ctl).empty());
    hl_control_destroy(ctl);
}

TEST_CASE("wait with no limit returns when the operation ends by itself") {
    hl_control* ctl = make_control();
    SleepJob job{0.15, ctl, -1};
    pthread_t thread;
    const auto start = Clock::now();
    REQUIRE(pthread_create(&thread, nullptr, run_sleep, &job) == 0);
    CHECK(hl_control_wait(ctl, -1) == HL_OK);  // waits even if the thread had not started yet
    CHECK(seconds_since(start) >= 0.15);
    REQUIRE(pthread_join(thread, nullptr) == 0);
    CHECK(job.status == HL_OK);
    uint64_t done = 0, total = 0;
    REQUIRE(hl_control_progress(ctl, &done, &total) == HL_OK);
    CHECK(done == 150);
    CHECK(total == 150);
    hl_control_destroy(ctl);
}

TEST_CASE("wait with a finite timeout of any size waits for the operation") {
    // timeout_ms up to INT64_MAX is a limit, not an overflow: such a wait used to convert the
    // milliseconds to the clock's nanoseconds (signed overflow, UB) and timed out at once.
    for (const int64_t timeout_ms : {INT64_MAX, INT64_MAX / 1000, int64_t{1} << 50}) {
        CAPTURE(timeout_ms);
        hl_control* ctl = make_control();
        SleepJob job{0.05, ctl, -1};
        pthread_t thread;
        REQUIRE(pthread_create(&thread, nullptr, run_sleep, &job) == 0);
        CHECK(hl_control_wait(ctl, timeout_ms) == HL_OK);
        int finished_status = -1;
        CHECK(hl_control_result(ctl, &finished_status) == HL_OK);  // it did finish
        REQUIRE(pthread_join(thread, nullptr) == 0);
        CHECK(job.status == HL_OK);
        CHECK(hl_control_wait(ctl, timeout_ms) == HL_OK);  // and an already finished one
        hl_control_destroy(ctl);
    }
}

TEST_CASE("one operation per control: a second one is refused and the first is unaffected") {
    hl_control* ctl = make_control();
    SleepJob job{3600.0, ctl, -1};  // runs until cancelled below
    pthread_t thread;
    start_sleep(job, thread);
    CHECK(hl_sleep(0.01, ctl) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_control_reset(ctl) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_control_wait(ctl, 0) == HL_ERR_TIMEOUT);  // the refusal did not finish the first one
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    REQUIRE(pthread_join(thread, nullptr) == 0);
    CHECK(job.status == HL_ERR_CANCELLED);  // the first one ran on until the cancel
    hl_status status;
    REQUIRE(hl_control_result(ctl, &status) == HL_OK);
    CHECK(status == HL_ERR_CANCELLED);
    hl_control_destroy(ctl);
}

// The refusal of a busy control comes before the function's body: every out-parameter that
// receives something to free must still be NULL after it, as after any other failure.
TEST_CASE("a control in use: the refused call's buffer and handle out-parameters are NULL") {
    hl_control* ctl = make_control();
    const double values[4] = {1, 2, 3, 4};
    int64_t n = 4;
    const hl_view view = {const_cast<double*>(values), HL_DTYPE_FLOAT64, 1, &n, nullptr};
    hl_processor* proc = nullptr;
    REQUIRE(hl_processor_create(2, &proc) == HL_OK);
    REQUIRE(hl_processor_add(proc, &view, nullptr) == HL_OK);
    hl_word_table *a = nullptr, *b = nullptr;
    REQUIRE(hl_word_table_count("a b", 3, HL_TEXT_UTF8, 0, nullptr, 0, &a, nullptr) == HL_OK);
    REQUIRE(hl_word_table_count("c", 1, HL_TEXT_UTF8, 0, nullptr, 1, &b, nullptr) == HL_OK);

    SleepJob job{3600.0, ctl, -1};  // holds the control until cancelled below
    pthread_t thread;
    start_sleep(job, thread);

    auto* const stale_buffer = reinterpret_cast<hl_buffer*>(uintptr_t{1});
    auto* const stale_table = reinterpret_cast<hl_word_table*>(uintptr_t{1});
    hl_buffer *b1 = stale_buffer, *b2 = stale_buffer, *b3 = stale_buffer, *b4 = stale_buffer;
    CHECK(hl_filter_double(&view, HL_DTYPE_FLOAT64, 0, 0, 0.0, &b1, ctl) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(b1 == nullptr);
    b1 = stale_buffer;
    CHECK(hl_processor_process_chunks(proc, &b1, ctl) == HL_ERR_INVALID_ARGUMENT);
    CHECK(b1 == nullptr);
    b1 = stale_buffer;
    CHECK(hl_processor_partial(&view, 2, 0, &b1, ctl) == HL_ERR_INVALID_ARGUMENT);
    CHECK(b1 == nullptr);
    b1 = stale_buffer;
    CHECK(hl_word_table_export(a, -1, &b1, &b2, ctl) == HL_ERR_INVALID_ARGUMENT);
    CHECK((b1 == nullptr && b2 == nullptr));
    b1 = b2 = stale_buffer;
    CHECK(hl_word_table_export_grouped(a, -1, &b1, &b2, &b3, &b4, ctl) == HL_ERR_INVALID_ARGUMENT);
    CHECK((b1 == nullptr && b2 == nullptr && b3 == nullptr && b4 == nullptr));
    hl_word_table* t = stale_table;
    CHECK(hl_word_table_count("x", 1, HL_TEXT_UTF8, 0, nullptr, 2, &t, ctl) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(t == nullptr);
    t = stale_table;
    CHECK(hl_word_table_count_at("x", 1, HL_TEXT_UTF8, 0, nullptr, 2, 5, &t, ctl) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(t == nullptr);
    t = stale_table;
    CHECK(hl_word_table_count_file("/nonexistent", 0, UINT64_MAX, 0, nullptr, 2, &t, ctl) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(t == nullptr);
    t = stale_table;
    CHECK(hl_word_table_merge(a, b, &t, ctl) == HL_ERR_INVALID_ARGUMENT);
    CHECK(t == nullptr);

    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    REQUIRE(pthread_join(thread, nullptr) == 0);
    CHECK(job.status == HL_ERR_CANCELLED);
    uint64_t length = 0;
    REQUIRE(hl_processor_length(proc, &length) == HL_OK);
    CHECK(length == 4);  // the refused process_chunks took nothing
    hl_word_table_destroy(a);
    hl_word_table_destroy(b);
    hl_processor_destroy(proc);
    hl_control_destroy(ctl);
}

// hl_control_result says no operation has finished while a second one runs on a control that
// was not reset; hl_control_message said the first one's error meanwhile.
TEST_CASE("a second operation on a control clears the first one's message") {
    hl_control* ctl = make_control();
    REQUIRE(hl_sleep(-1.0, ctl) == HL_ERR_INVALID_ARGUMENT);
    CHECK(message_of(ctl).find("seconds") != std::string::npos);
    SleepJob job{3600.0, ctl, -1};
    pthread_t thread;
    start_sleep(job, thread);
    hl_status status = HL_OK;
    CHECK(hl_control_result(ctl, &status) == HL_ERR_INVALID_ARGUMENT);  // none has finished
    CHECK(message_of(ctl).empty());
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    REQUIRE(pthread_join(thread, nullptr) == 0);
    CHECK(job.status == HL_ERR_CANCELLED);
    CHECK(message_of(ctl) == "operation cancelled");
    hl_control_destroy(ctl);
}

TEST_CASE("hl_sleep validates seconds; a failure is recorded in the control") {
    CHECK(hl_sleep(-1.0, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_sleep(std::nan(""), nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_sleep(0.0, nullptr) == HL_OK);
    hl_control* ctl = make_control();
    CHECK(hl_sleep(INFINITY, ctl) == HL_ERR_INVALID_ARGUMENT);
    hl_status status;
    REQUIRE(hl_control_result(ctl, &status) == HL_OK);
    CHECK(status == HL_ERR_INVALID_ARGUMENT);
    CHECK(message_of(ctl).find("seconds") != std::string::npos);
    char small[5];
    REQUIRE(hl_control_message(ctl, small, sizeof small) == HL_OK);
    CHECK(std::strlen(small) == 4);  // truncated, NUL-terminated
    hl_control_destroy(ctl);
}

TEST_CASE("heavy functions record their outcome and progress in the control") {
    hl_control* ctl = make_control();
    std::vector<int64_t> data(200000, 3);
    int64_t n = static_cast<int64_t>(data.size());
    hl_view view = {data.data(), HL_DTYPE_INT64, 1, &n, nullptr};
    hl_sum_result sum{};
    REQUIRE(hl_sum(&view, &sum, ctl) == HL_OK);
    CHECK(sum.lo == 600000);
    CHECK(hl_control_wait(ctl, 0) == HL_OK);
    uint64_t done = 0, total = 0;
    REQUIRE(hl_control_progress(ctl, &done, &total) == HL_OK);
    CHECK(total == 4);
    CHECK(done == 4);

    // A failing call finishes the control too, with its status and message.
    REQUIRE(hl_control_reset(ctl) == HL_OK);
    view.dtype = 999;
    CHECK(hl_sum(&view, &sum, ctl) == HL_ERR_TYPE);
    const std::string message = hl_last_error_message();
    CHECK_FALSE(message.empty());
    hl_status status;
    REQUIRE(hl_control_result(ctl, &status) == HL_OK);
    CHECK(status == HL_ERR_TYPE);
    CHECK(message_of(ctl) == message);
    hl_control_destroy(ctl);
}

namespace {
struct SumJob {
    const double* data;
    size_t n;
    hl_control* ctl;
    hl_status status;
};
void* run_sum(void* arg) {
    auto* job = static_cast<SumJob*>(arg);
    int64_t n = static_cast<int64_t>(job->n);
    const hl_view view = {const_cast<double*>(job->data), HL_DTYPE_FLOAT64, 1, &n, nullptr};
    hl_sum_result out;
    job->status = hl_sum(&view, &out, job->ctl);
    return nullptr;
}
}  // namespace

TEST_CASE("cancelling a long float hl_sum from another thread ends it within one block") {
    std::vector<double> data(std::size_t(1) << 25, 0.25);  // 256 MB
    hl_control* ctl = make_control();
    SumJob job{data.data(), data.size(), ctl, -1};
    pthread_t thread;
    REQUIRE(pthread_create(&thread, nullptr, run_sum, &job) == 0);
    uint64_t done = 0, total = 0;
    while (done == 0 && hl_control_wait(ctl, 0) == HL_ERR_TIMEOUT)
        hl_control_progress(ctl, &done, &total);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    uint64_t done_at_cancel = 0;
    REQUIRE(hl_control_progress(ctl, &done_at_cancel, &total) == HL_OK);
    CHECK(hl_control_wait(ctl, -1) == HL_OK);
    REQUIRE(pthread_join(thread, nullptr) == 0);
    CHECK((job.status == HL_ERR_CANCELLED || job.status == HL_OK));  // HL_OK: it finished first
    if (job.status == HL_ERR_CANCELLED) {
        // Blocks check the control before they start: after the cancel, only those already
        // running (one per engine thread at most) may still finish. No timing involved.
        REQUIRE(hl_control_progress(ctl, &done, &total) == HL_OK);
        CHECK(done - done_at_cancel <= static_cast<uint64_t>(hl_get_num_threads()));
    }
    hl_control_destroy(ctl);
}

TEST_CASE("cancellation and progress through hl_control", "[capi]") {
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    std::vector<int64_t> v(1 << 18, 3);
    int64_t n = static_cast<int64_t>(v.size());
    const hl_view view = {v.data(), HL_DTYPE_INT64, 1, &n, nullptr};
    hl_sum_result sum;
    REQUIRE(hl_sum(&view, &sum, ctl) == HL_OK);
    uint64_t done = 0, total = 0;
    REQUIRE(hl_control_progress(ctl, &done, &total) == HL_OK);
    CHECK(total == 4);
    CHECK(done == 4);
    int cancelled = -1;
    REQUIRE(hl_control_is_cancelled(ctl, &cancelled) == HL_OK);
    CHECK(cancelled == 0);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    CHECK(hl_sum(&view, &sum, ctl) == HL_ERR_CANCELLED);
    CHECK(std::string(hl_last_error_message()) == "operation cancelled");
    hl_control_destroy(ctl);
    hl_control_destroy(nullptr);
    CHECK(hl_control_create(nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_control_cancel(nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_control_progress(nullptr, &done, &total) == HL_ERR_INVALID_ARGUMENT);
}

TEST_CASE("hl_control_set_progress: the caller's progress replaces the engine's until reset") {
    CHECK(hl_control_set_progress(nullptr, 0, 1) == HL_ERR_INVALID_ARGUMENT);
    hl_control* ctl = make_control();
    CHECK(hl_control_set_progress(ctl, 2, 1) == HL_ERR_INVALID_ARGUMENT);
    uint64_t done = 9, total = 9;
    REQUIRE(hl_control_progress(ctl, &done, &total) == HL_OK);
    CHECK(done == 0);  // the refused call changed nothing
    CHECK(total == 0);

    REQUIRE(hl_control_set_progress(ctl, 3, 1000) == HL_OK);
    REQUIRE(hl_sleep(0.002, ctl) == HL_OK);  // counts milliseconds when nobody reports for it
    REQUIRE(hl_control_progress(ctl, &done, &total) == HL_OK);
    CHECK(done == 3);
    CHECK(total == 1000);
    REQUIRE(hl_control_set_progress(ctl, 1000, 1000) == HL_OK);
    REQUIRE(hl_control_progress(ctl, &done, &total) == HL_OK);
    CHECK(done == 1000);
    CHECK(total == 1000);

    REQUIRE(hl_control_reset(ctl) == HL_OK);  // the engine's own units again
    REQUIRE(hl_sleep(0.002, ctl) == HL_OK);
    REQUIRE(hl_control_progress(ctl, &done, &total) == HL_OK);
    CHECK(done == 2);
    CHECK(total == 2);
    hl_control_destroy(ctl);
}
