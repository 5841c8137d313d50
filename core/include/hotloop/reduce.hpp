// Sums over array views: exact for integers and for floats.
//
// Every function reads the view in parallel in fixed blocks; integer and exact float sums do not
// depend on the order of addition, so any dense layout (C, Fortran, reversed, permuted) is read
// in place in memory order, and other strided views are gathered block by block.
#pragma once

#include <cstddef>

#include "hotloop/exact_sum.hpp"
#include "hotloop/parallel.hpp"
#include "hotloop/view.hpp"

namespace hotloop {

// Exact sum of an integer (or bool: nonzero bytes count 1) view; cannot overflow for fewer than
// 2^64 elements. ErrorKind::Type for a float view.
int128_t sum_int(const View& data, Control* ctl = nullptr);

// math.fsum of a float32/float64 view in C order, exactly: the exact sum correctly rounded (an
// exact zero is +0.0), NaN if a NaN or both infinities occur, +-inf for infinities of one sign,
// whatever the thread count. Where CPython's fsum raises instead - OverflowError when its running
// sum of finite values leaves the double range ("intermediate overflow"), ValueError for
// inf + -inf - the result is Python's built-in sum() of the values (IEEE addition from 0.0, left
// to right), as parallel_sum of a list gives; that needs a serial pass, done only when the
// magnitudes allow an overflow (sum of |x| of 2^1020 or more). ErrorKind::Type for an integer view.
double sum_float(const View& data, Control* ctl = nullptr);

// The exact sum of any view as a mergeable ExactSum: integers (kind Integer) or floats (kind
// Float; NaN and infinities counted).
ExactSum exact_sum(const View& data, Control* ctl = nullptr);

// The block size of the parallel float sums (integers: 2^16), fixed, though exact results do
// not depend on it.
constexpr std::size_t kSumBlock = std::size_t(1) << 15;

}  // namespace hotloop
