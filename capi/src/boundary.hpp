// The boundary between the C API and the engine. Every entry point runs its body through
// guard(), which turns any exception into a status code and the thread-local message, so that
// nothing C++ ever crosses into C. The handle structs here (buffer, control) are the ones several
// files use; a handle used by one file is defined there (processor.cpp, text.cpp).
#pragma once

#include <new>
#include <string>

#include "hotloop.h"
#include "hotloop/buffer.hpp"
#include "hotloop/error.hpp"
#include "hotloop/parallel.hpp"
#include "hotloop/view.hpp"

struct hl_buffer_s {
    hotloop::Buffer buffer;
};
struct hl_control_s {
    hotloop::Control control;
};

namespace hotloop::capi {

// Records the failure of the current call for hl_last_error_message(). Never throws.
void set_error(const char* message, int os_errno = 0) noexcept;
void clear_error() noexcept;
// The calling thread's current error message (what hl_last_error_message() returns).
const char* last_message() noexcept;
hl_status status_of(ErrorKind kind) noexcept;

// Throws InvalidArgument when an out-parameter or handle is NULL.
template <class T>
T* require(T* pointer, const char* name) {
    if (pointer == nullptr) fail(ErrorKind::InvalidArgument, std::string(name) + " is NULL");
    return pointer;
}

// Converts the C dtype code, rejecting unknown values.
DType to_dtype(hl_dtype code);

// The engine's View of an hl_view (NULL strides become C-contiguous ones), checked with
// check_view(); `name` prefixes the messages. Throws InvalidArgument for a NULL view.
View view_of(const hl_view* view, const char* name);

// Control* of an optional hl_control.
inline Control* control_of(hl_control* ctl) noexcept { return ctl ? &ctl->control : nullptr; }

// Moves an engine Buffer into a new hl_buffer for the caller.
hl_buffer* release(Buffer&& buffer);

// Sets the out-parameters that receive something to free (hl_buffer **, handle **) to NULL,
// skipping NULL ones (the body reports those). Called before guard(ctl, ...), not in its body:
// a control already in use is refused before the body runs, and *out must be NULL after that
// failure too.
template <class... T>
void clear_outputs(T**... outs) noexcept {
    ((outs ? void(*outs = nullptr) : void()), ...);
}

// Runs body() and maps whatever it throws to a status; the catch-all is the C API's guarantee.
template <class Body>
hl_status guard(Body&& body) noexcept {
    try {
        clear_error();
        body();
        return HL_OK;
    } catch (const Error& e) {
        set_error(e.what(), e.os_errno());
        return status_of(e.kind());
    } catch (const std::bad_alloc&) {
        set_error("out of memory");
        return HL_ERR_NO_MEMORY;
    } catch (const std::exception& e) {
        set_error(e.what());
        return HL_ERR_INTERNAL;
    } catch (...) {
        set_error("unknown C++ exception");
        return HL_ERR_INTERNAL;
    }
}

// guard() for a heavy function that takes an optional hl_control: it also marks the control's
// operation as running (refusing a second one) and records its outcome (status and message) in
// the control, waking hl_control_wait(). Every entry point with an `hl_control *ctl` parameter
// uses this form: `return guard(ctl, [&] { ... });`. Cancellation itself is checked by the
// engine (parallel_blocks, Control::check), after clear_outputs() has reset the out-parameters.
template <class Body>
hl_status guard(hl_control* ctl, Body&& body) noexcept {
    if (ctl == nullptr) return guard(body);
    bool began = false;
    const hl_status status = guard([&] {
        ctl->control.begin();  // throws if another operation is using this control
        began = true;
        body();
    });
    if (began) ctl->control.finish(status, status == HL_OK ? "" : last_message());
    return status;
}

}  // namespace hotloop::capi
