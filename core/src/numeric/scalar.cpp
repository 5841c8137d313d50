#include "hotloop/scalar.hpp"

#include "hotloop/error.hpp"

namespace hotloop {

std::string sum_as_string(uint64_t a, uint64_t b) {
    uint64_t sum;
    if (__builtin_add_overflow(a, b, &sum))
        fail(ErrorKind::Overflow, "sum_as_string: " + std::to_string(a) + " + " +
                                      std::to_string(b) + " exceeds 18446744073709551615");
    return std::to_string(sum);
}

double divide(double a, double b) {
    if (b == 0.0) fail(ErrorKind::DivisionByZero, "Cannot divide by zero");
    return a / b;
}

}  // namespace hotloop
