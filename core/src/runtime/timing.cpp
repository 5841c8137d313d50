#include "hotloop/timing.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>

namespace hotloop {

void sleep_for(double seconds, Control* ctl) {
    using namespace std::chrono;
    if (!(seconds >= 0.0 && seconds <= 1e9))  // also rejects NaN
        fail(ErrorKind::InvalidArgument,
             "sleep: seconds must be between 0 and 1e9, got " + std::to_string(seconds));
    const auto start = steady_clock::now();
    const auto length = duration_cast<nanoseconds>(duration<double>(seconds));
    const auto deadline = start + length;
    if (ctl == nullptr) {
        std::this_thread::sleep_until(deadline);
        return;
    }
    ctl->check();
    const uint64_t total_ms = static_cast<uint64_t>(std::ceil(seconds * 1000.0));
    ctl->add_total(total_ms);
    uint64_t reported = 0;
    // Wakes every 50 ms only to move the progress counter; cancel() wakes it at once.
    for (;;) {
        const auto now = steady_clock::now();
        const uint64_t elapsed = std::min<uint64_t>(
            total_ms, static_cast<uint64_t>(duration_cast<milliseconds>(now - start).count()));
        ctl->advance(elapsed - reported);
        reported = elapsed;
        if (now >= deadline) break;
        if (ctl->sleep_until(std::min(deadline, now + milliseconds(50)))) ctl->check();
    }
    ctl->advance(total_ms - reported);
}

}  // namespace hotloop
