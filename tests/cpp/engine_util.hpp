// Helpers shared by the engine tests (tests/cpp/engine_*.cpp).
#pragma once

#include <catch2/catch.hpp>

#include <functional>

#include "hotloop/error.hpp"
#include "hotloop/parallel.hpp"

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

// Restores the thread count a test changed, when the test ends.
struct ThreadCountGuard {
    int saved = get_num_threads();
    ~ThreadCountGuard() { set_num_threads(saved); }
};

}  // namespace hotloop::test
