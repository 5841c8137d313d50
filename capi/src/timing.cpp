// hl_sleep: the engine's cancellable wait (core/src/runtime/timing.cpp; hotloop.aio.sleep in Python).
#include "boundary.hpp"
#include "hotloop/timing.hpp"

using namespace hotloop;
using namespace hotloop::capi;

extern "C" {

HL_API hl_status hl_sleep(double seconds, hl_control* ctl) {
    return guard(ctl, [&] { sleep_for(seconds, control_of(ctl)); });
}

}  // extern "C"
