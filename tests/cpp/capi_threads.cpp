// Many threads on one hl_processor and one hl_control, while another thread cancels the
// control and then destroys both (after every call has returned, as hotloop.h requires). Built
// normally, with ASan + UBSan, and with ThreadSanitizer (make tsan). No timing: every wait is for
// something the threads did.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "hotloop.h"

namespace {

constexpr std::size_t kChunk = 7;
constexpr int kWorkers = 6;

struct Shared {
    hl_processor* proc = nullptr;
    hl_control* ctl = nullptr;
    std::atomic<uint64_t> added{0};      // values added by successful calls
    std::atomic<uint64_t> consumed{0};   // values removed by successful process_chunks
    std::atomic<int> successes{0};
    std::atomic<int> unexpected{0};      // statuses no call may return
    std::atomic<int> workers_done{0};
};

// One worker: adds, processes and reads statistics through the shared control (a busy control
// refuses with HL_ERR_INVALID_ARGUMENT) or no control, until it has seen the cancellation.
void work(Shared& s, int id) {
    std::vector<double> values(1000 + 37 * id, 1.0 + id);
    int64_t n = static_cast<int64_t>(values.size());
    const hl_view view = {values.data(), HL_DTYPE_FLOAT64, 1, &n, nullptr};
    bool saw_cancel = false;
    for (int i = 0; !saw_cancel && i < 1000000; ++i) {
        hl_control* ctl = (i % 3 == 2) ? nullptr : s.ctl;
        hl_status status = HL_OK;
        switch (i % 4) {
            case 0:
                status = hl_processor_add(s.proc, &view, ctl);
                if (status == HL_OK) s.added += values.size();
                break;
            case 1: {
                hl_buffer* out = nullptr;
                status = hl_processor_process_chunks(s.proc, &out, ctl);
                if (status == HL_OK) s.consumed += hl_buffer_length(out) * kChunk;
                hl_buffer_free(out);
                break;
            }
            case 2: {
                uint64_t count;
                double mean, std;
                status = hl_processor_statistics(s.proc, &count, &mean, &std, ctl);
                break;
            }
            default: {
                ctl = s.ctl;  // watching it, and perhaps one more call with it
                uint64_t done, total;
                int cancelled = 0;
                status = hl_control_progress(s.ctl, &done, &total);
                if (status == HL_OK) status = hl_control_is_cancelled(s.ctl, &cancelled);
                if (status == HL_OK && cancelled) {  // the next controlled call must fail
                    status = hl_processor_add(s.proc, &view, s.ctl);
                    if (status == HL_OK) s.unexpected++;  // cancellation is sticky
                }
                break;
            }
        }
        if (status == HL_OK) s.successes++;
        else if (status == HL_ERR_CANCELLED) saw_cancel = true;
        else if (status != HL_ERR_INVALID_ARGUMENT || ctl == nullptr) s.unexpected++;
    }
    if (!saw_cancel) s.unexpected++;
    s.workers_done++;
}

}  // namespace

TEST_CASE("threads share a processor and a control; another thread cancels, then destroys") {
    Shared s;
    REQUIRE(hl_processor_create(kChunk, &s.proc) == HL_OK);
    REQUIRE(hl_control_create(&s.ctl) == HL_OK);
    std::vector<std::thread> workers;
    for (int id = 0; id < kWorkers; ++id) workers.emplace_back(work, std::ref(s), id);

    // Catch2's assertions are not thread-safe: the canceller records, the main thread checks.
    uint64_t length_before_destroy = 0, count_before_destroy = 0;
    hl_status cancel_status = -1, length_status = -1, statistics_status = -1;
    std::thread canceller([&] {
        while (s.successes < 200) std::this_thread::yield();  // the workers are well under way
        cancel_status = hl_control_cancel(s.ctl);
        while (s.workers_done < kWorkers) std::this_thread::yield();  // every call has returned
        length_status = hl_processor_length(s.proc, &length_before_destroy);
        double mean, std;
        statistics_status =
            hl_processor_statistics(s.proc, &count_before_destroy, &mean, &std, nullptr);
        hl_control_destroy(s.ctl);
        hl_processor_destroy(s.proc);
    });
    for (auto& w : workers) w.join();
    canceller.join();

    CHECK(cancel_status == HL_OK);
    CHECK(length_status == HL_OK);
    CHECK(statistics_status == HL_OK);
    CHECK(s.unexpected == 0);
    // Nothing lost, nothing counted twice: every successful add is held or was processed, and
    // the refused and cancelled calls changed nothing.
    CHECK(length_before_destroy == s.added - s.consumed);
    CHECK(count_before_destroy == length_before_destroy);
}

TEST_CASE("one control, many waiters: all wake when the operation finishes") {
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    std::atomic<int> woke{0};
    std::vector<std::thread> waiters;
    for (int i = 0; i < 8; ++i)
        waiters.emplace_back([&] {
            if (hl_control_wait(ctl, -1) == HL_OK) woke++;
        });
    hl_status slept = -1;
    std::thread sleeper([&] { slept = hl_sleep(3600.0, ctl); });
    uint64_t done = 0, total = 0;
    while (total == 0) REQUIRE(hl_control_progress(ctl, &done, &total) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    sleeper.join();
    for (auto& w : waiters) w.join();
    CHECK(slept == HL_ERR_CANCELLED);
    CHECK(woke == 8);
    hl_status status;
    REQUIRE(hl_control_result(ctl, &status) == HL_OK);
    CHECK(status == HL_ERR_CANCELLED);
    hl_control_destroy(ctl);
}
