// The seed's scalar functions.
#pragma once

#include <cstdint>
#include <string>

namespace hotloop {

// Decimal text of a + b; ErrorKind::Overflow if the sum exceeds UINT64_MAX.
std::string sum_as_string(uint64_t a, uint64_t b);

// a / b; ErrorKind::DivisionByZero if b == 0 ("Cannot divide by zero").
double divide(double a, double b);

}  // namespace hotloop
