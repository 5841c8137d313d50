// Errors the engine raises. Each kind maps to one status code of the C API; the engine itself
// knows nothing of C or Python.
#pragma once

#include <stdexcept>
#include <string>

namespace hotloop {

enum class ErrorKind {
    InvalidArgument,
    Type,
    Shape,
    Overflow,
    DivisionByZero,
    Closed,
    Cancelled,
    Encoding,
    Io,
    Timeout,
    Internal,
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message, int os_errno = 0)
        : std::runtime_error(message), kind_(kind), os_errno_(os_errno) {}
    ErrorKind kind() const noexcept { return kind_; }
    int os_errno() const noexcept { return os_errno_; }

private:
    ErrorKind kind_;
    int os_errno_;
};

[[noreturn]] inline void fail(ErrorKind kind, const std::string& message) {
    throw Error(kind, message);
}

}  // namespace hotloop
