// hl_control: cancellation, progress and completion of one operation at a time.
#include <chrono>
#include <string>

#include "boundary.hpp"

using namespace hotloop;
using namespace hotloop::capi;

extern "C" {

HL_API hl_status hl_control_create(hl_control** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        *out = new hl_control_s();
    });
}

HL_API void hl_control_destroy(hl_control* ctl) { delete ctl; }

HL_API hl_status hl_control_cancel(hl_control* ctl) {
    return guard([&] { require(ctl, "ctl")->control.cancel(); });
}

HL_API hl_status hl_control_is_cancelled(const hl_control* ctl, int* out) {
    return guard([&] { *require(out, "out") = require(ctl, "ctl")->control.cancelled(); });
}

HL_API hl_status hl_control_progress(const hl_control* ctl, uint64_t* done, uint64_t* total) {
    return guard([&] {
        require(ctl, "ctl");
        require(done, "done");
        require(total, "total");
        // total first: an operation adds to total before it advances done, so done <= total.
        const uint64_t t = ctl->control.total();
        const uint64_t d = ctl->control.done();
        *total = t;
        *done = d < t ? d : t;
    });
}

HL_API hl_status hl_control_set_progress(hl_control* ctl, uint64_t done, uint64_t total) {
    return guard([&] {
        require(ctl, "ctl");
        if (done > total)
            fail(ErrorKind::InvalidArgument, "done (" + std::to_string(done) + ") > total (" +
                                                 std::to_string(total) + ")");
        ctl->control.set_progress(done, total);
    });
}

HL_API hl_status hl_control_wait(hl_control* ctl, int64_t timeout_ms) {
    hl_status status = HL_OK;
    const hl_status failed = guard([&] {
        require(ctl, "ctl");
        if (!ctl->control.wait(std::chrono::milliseconds(timeout_ms < 0 ? -1 : timeout_ms)))
            status = HL_ERR_TIMEOUT;
    });
    if (failed != HL_OK) return failed;
    if (status == HL_ERR_TIMEOUT)
        set_error("hl_control_wait: the operation did not finish in time");
    return status;
}

HL_API hl_status hl_control_result(const hl_control* ctl, hl_status* out) {
    return guard([&] {
        require(out, "out");
        require(ctl, "ctl");
        if (!ctl->control.finished())
            fail(ErrorKind::InvalidArgument, "hl_control_result: no operation has finished");
        *out = ctl->control.outcome();
    });
}

HL_API hl_status hl_control_message(const hl_control* ctl, char* buf, size_t buf_size) {
    return guard([&] {
        require(ctl, "ctl");
        require(buf, "buf");
        if (buf_size == 0) fail(ErrorKind::InvalidArgument, "buf_size is 0");
        const std::string message = ctl->control.message();
        const size_t n = message.size() < buf_size - 1 ? message.size() : buf_size - 1;
        message.copy(buf, n);
        buf[n] = '\0';
    });
}

HL_API hl_status hl_control_reset(hl_control* ctl) {
    return guard([&] { require(ctl, "ctl")->control.reset(); });
}

}  // extern "C"
