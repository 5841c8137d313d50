// Helpers shared by the engine tests (tests/cpp/engine_*.cpp).
#pragma once

#include <catch2/catch.hpp>

#include <functional>

#include "hotloop/error.hpp"

namespace hotloop::test {

// The kind of the hotloop::Error f throws; fails the test if it throws none.
inline ErrorKind kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.kind();
    }
    FAIL("no hotloop::Error thrown");
    return ErrorKind::Internal;
}

}  // namespace hotloop::test
