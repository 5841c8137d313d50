// Waiting without work: a sleep that a Control can cancel at once (the engine side of
// `hotloop.aio.sleep`, and a cheap long operation for testing cancellation).
#pragma once

#include "hotloop/parallel.hpp"

namespace hotloop {

// Sleeps `seconds` (finite, 0 <= seconds <= 1e9, else InvalidArgument). With a Control, progress
// counts milliseconds and cancel() ends the sleep at once with Error(Cancelled).
void sleep_for(double seconds, Control* ctl = nullptr);

}  // namespace hotloop
