#include "hotloop/reduce.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "exact_kernels.hpp"
#include "simd.hpp"

namespace hotloop {
namespace {

// ---- integers: exact in 64 or 128 bits per block ----

// The exact sum of one block of integers, for simd_run. 64-bit elements are split into a high
// and a low 32-bit half, each summed in 64 bits: over a block of 2^16 elements neither half-sum
// can overflow, and the loop vectorises. Narrower integers fit a 64-bit accumulator.
struct IntBlockSum {
    HL_INLINE static int128_t run(const int64_t* p, std::size_t n) {
        int64_t hi = 0;
        uint64_t lo = 0;
        for (std::size_t i = 0; i < n; ++i) {
            int64_t v;
            std::memcpy(&v, p + i, sizeof v);
            hi += v >> 32;
            lo += static_cast<uint64_t>(v) & 0xffffffffu;
        }
        return static_cast<int128_t>(hi) * (int128_t(1) << 32) + static_cast<int128_t>(lo);
    }
    HL_INLINE static int128_t run(const uint64_t* p, std::size_t n) {
        uint64_t hi = 0, lo = 0;
        for (std::size_t i = 0; i < n; ++i) {
            uint64_t v;
            std::memcpy(&v, p + i, sizeof v);
            hi += v >> 32;
            lo += v & 0xffffffffu;
        }
        return static_cast<int128_t>(hi) * (int128_t(1) << 32) + static_cast<int128_t>(lo);
    }
    template <class T>
    HL_INLINE static int128_t run(const T* p, std::size_t n) {
        using Acc = std::conditional_t<std::is_signed<T>::value, int64_t, uint64_t>;
        Acc acc = 0;
        for (std::size_t i = 0; i < n; ++i) {
            T v;
            std::memcpy(&v, p + i, sizeof v);
            acc += static_cast<Acc>(v);
        }
        return static_cast<int128_t>(acc);
    }
};

// Bool bytes: any nonzero byte counts 1.
struct BoolBlockSum {
    HL_INLINE static int128_t run(const uint8_t* p, std::size_t n) {
        uint64_t acc = 0;
        for (std::size_t i = 0; i < n; ++i) acc += p[i] != 0;
        return static_cast<int128_t>(acc);
    }
};

template <class T>
int128_t block_sum(const T* p, std::size_t n) {
    if constexpr (is_bool_element<T>)
        return simd_run<BoolBlockSum>(reinterpret_cast<const uint8_t*>(p), n);
    else
        return simd_run<IntBlockSum>(p, n);
}

// ---- floats: exact block sums ----

// Blocks are extracted in pieces of 4096 values (32 KB of float64: the second pass reads L1),
// each with sigmas fitted to its own largest magnitude.
constexpr std::size_t kPiece = 4096;

// The exact sum of one block into acc, and sum over its pieces of (largest |x| * count): a bound
// on the magnitude of any partial sum, which tells whether fsum could overflow.
struct FloatPartial {
    ExactSum sum;
    double bound = 0;
};

// One value at a time: NaN, infinities, or magnitudes near the top of the range.
template <class T>
void add_slowly(const T* p, std::size_t n, FloatPartial& out) {
    for (std::size_t i = 0; i < n; ++i) {
        const double x = get(p, i);
        out.sum.add(x);
        if (std::isfinite(x)) out.bound += std::fabs(x);
    }
}

template <class T>
HL_INLINE void add_levels(const T* p, std::size_t n, const Sigmas& s, const LevelSums& ls,
                          double top, FloatPartial& out) {
    out.sum.add_finite(ls.t1);
    out.sum.add_finite(ls.t2);
    if (ls.remainder) add_remainders(p, n, s, out.sum);
    out.bound += top * static_cast<double>(n);
}

// One piece with sigmas fitted to its own extremes (two reads of the piece).
template <std::size_t B, class T>
HL_INLINE double add_piece(const T* p, std::size_t n, FloatPartial& out) {
    const MinMax mm = min_max<B>(p, n);
    if (std::isfinite(mm.lo) && std::isfinite(mm.hi)) {
        const double top = std::max(-mm.lo, mm.hi);
        const Sigmas s = sigmas_for(top, n);
        if (s.ok) {
            const LevelSums ls = level_sums<B>(p, n, s);
            if (!std::isnan(ls.t1)) {  // a NaN makes t1 NaN (min_max does not see it)
                add_levels(p, n, s, ls, top, out);
                return top;
            }
        }
    }
    add_slowly(p, n, out);
    return 0;
}

// One piece with sigmas guessed from the previous piece's largest magnitude (with a bit to
// spare), checked after one read; a wrong guess reads the piece again. Returns the magnitude
// to guess from next.
template <std::size_t B, class T>
HL_INLINE double add_piece_guessed(const T* p, std::size_t n, double guess, FloatPartial& out) {
    if (guess > 0 && guess < 0x1p1000) {
        const Sigmas s = sigmas_for(2 * guess, n);
        const CheckedSums r = level_sums_checked<B>(p, n, s);
        const bool fits = r.max_abs <= power_at_least(2 * guess);
        const bool tight = !r.sums.remainder || r.max_abs * 16 > guess;  // no bits wasted
        if (fits && tight && !std::isnan(r.sums.t1)) {
            add_levels(p, n, s, r.sums, r.max_abs, out);
            return r.max_abs;
        }
    }
    return add_piece<B>(p, n, out);
}

template <std::size_t B, class T>
HL_INLINE FloatPartial float_block(const T* p, std::size_t n) {
    FloatPartial out;
    out.sum.mark_float();
    double guess = 0;
    for (std::size_t i = 0; i < n; i += kPiece)
        guess = add_piece_guessed<B>(p + i, std::min(kPiece, n - i), guess, out);
    return out;
}

struct FloatBlock {
    template <std::size_t Bytes, class T>
    HL_INLINE static FloatPartial run_width(const T* p, std::size_t n) {
        return float_block<Bytes>(p, n);
    }
};
template <class T>
FloatPartial float_block_of(const T* p, std::size_t n) {
    return simd_run<FloatBlock>(p, n);
}

// Integer blocks: 2^16 elements keep a 64-bit half-sum from overflowing (IntBlockSum).
constexpr std::size_t kIntBlock = std::size_t(1) << 16;

// Runs compute(block pointer, length) over the view's blocks of `block` elements in parallel
// (in place when possible, gathered otherwise) and folds the partials in block order.
template <class T, class Partial, class Compute, class Fold>
void view_blocks(const View& v, std::size_t block, bool any_order, Control* ctl, Compute compute,
                 Fold fold) {
    const bool gather = needs_gather(v, any_order);
    reduce_blocks<Partial>(
        v.size(), block,
        [&](std::size_t begin, std::size_t len) {
            std::unique_ptr<T[]> scratch(gather ? new T[len] : nullptr);
            return compute(block_of<T>(v, any_order, begin, len, scratch.get()), len);
        },
        [&](const Partial& partial, std::size_t) { fold(partial); }, ctl);
}

FloatPartial float_partial(const View& v, Control* ctl) {
    FloatPartial total;
    total.sum.mark_float();
    const auto fold = [&](const FloatPartial& p) {
        total.sum.add(p.sum);
        total.bound += p.bound;
    };
    if (v.dtype == DType::Float64)
        view_blocks<double, FloatPartial>(
            v, kSumBlock, true, ctl, [](const double* p, std::size_t n) { return float_block_of(p, n); }, fold);
    else
        view_blocks<float, FloatPartial>(
            v, kSumBlock, true, ctl, [](const float* p, std::size_t n) { return float_block_of(p, n); }, fold);
    return total;
}

// ---- CPython's fsum and sum, serially, for data near the top of the range ----

// Calls f(x) for every element in C order, checking for cancellation every 2^16 elements.
template <class F>
void each_in_order(const View& v, Control* ctl, F&& f) {
    const std::size_t n = v.size();
    const std::size_t step = std::size_t(1) << 16;
    for (std::size_t begin = 0; begin < n; begin += step) {
        if (ctl) ctl->check();
        for_each_run(v, begin, std::min(n, begin + step),
                     [&](const char* first, std::size_t count, std::ptrdiff_t stride) {
                         for (std::size_t j = 0; j < count; ++j) {
                             const char* at = first + std::ptrdiff_t(j) * stride;
                             if (v.dtype == DType::Float64) {
                                 double x;
                                 std::memcpy(&x, at, sizeof x);
                                 f(x);
                             } else {
                                 float x;
                                 std::memcpy(&x, at, sizeof x);
                                 f(static_cast<double>(x));
                             }
                         }
                     });
    }
}

// math_fsum of CPython 3.11 (Modules/mathmodule.c: Shewchuk's partials, special values kept
// aside), step for step. Returns false where it raises (OverflowError "intermediate overflow",
// ValueError "-inf + inf").
bool python_fsum(const View& v, Control* ctl, double& out) {
    std::vector<double> partials;
    double special_sum = 0.0, inf_sum = 0.0;
    bool overflow = false;
    each_in_order(v, ctl, [&](double x) {
        if (overflow) return;
        const double xsave = x;
        std::size_t i = 0;
        for (std::size_t j = 0; j < partials.size(); ++j) {
            double y = partials[j];
            if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
            const double hi = x + y;
            const double lo = y - (hi - x);
            if (lo != 0.0) partials[i++] = lo;
            x = hi;
        }
        partials.resize(i);
        if (x != 0.0) {
            if (!std::isfinite(x)) {
                if (std::isfinite(xsave)) {
                    overflow = true;
                    return;
                }
                if (std::isinf(xsave)) inf_sum += xsave;
                special_sum += xsave;
                partials.clear();
            } else {
                partials.push_back(x);
            }
        }
    });
    if (overflow) return false;
    if (special_sum != 0.0) {
        if (std::isnan(inf_sum)) return false;
        out = special_sum;
        return true;
    }
    double hi = 0.0, lo = 0.0;
    std::size_t n = partials.size();
    if (n > 0) {
        hi = partials[--n];
        while (n > 0) {
            const double x = hi, y = partials[--n];
            hi = x + y;
            const double yr = hi - x;
            lo = y - yr;
            if (lo != 0.0) break;
        }
        if (n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0))) {
            const double y = lo * 2.0;
            const double x = hi + y;
            const double yr = x - hi;
            if (y == yr) hi = x;
        }
    }
    out = hi;
    return true;
}

// Python's built-in sum() of floats: IEEE addition from 0.0, left to right.
double python_sum(const View& v, Control* ctl) {
    double total = 0.0;
    each_in_order(v, ctl, [&](double x) { total += x; });
    return total;
}

void require_float(const View& v, const char* what) {
    if (!is_float(v.dtype))
        fail(ErrorKind::Type, std::string(what) + ": expected a float dtype, got " + dtype_name(v.dtype));
}

}  // namespace

int128_t sum_int(const View& data, Control* ctl) {
    check_view(data, "sum_int");
    if (!is_integer(data.dtype))
        fail(ErrorKind::Type,
             std::string("sum_int: expected an integer dtype, got ") + dtype_name(data.dtype));
    int128_t total = 0;
    dispatch_dtype(data.dtype, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_integral<T>::value || is_bool_element<T>) {
            view_blocks<T, int128_t>(
                data, kIntBlock, true, ctl, [](const T* p, std::size_t n) { return block_sum(p, n); },
                [&](int128_t partial) { total += partial; });
        }
    });
    return total;
}

double sum_float(const View& data, Control* ctl) {
    check_view(data, "sum_float");
    require_float(data, "sum_float");
    const FloatPartial total = float_partial(data, ctl);
    // No partial sum of fsum can reach the overflow threshold below this bound: the exact
    // result is fsum's.
    if (total.bound < 0x1p1020) return total.sum.value();
    double out;
    if (python_fsum(data, ctl, out)) return out;
    return python_sum(data, ctl);
}

ExactSum exact_sum(const View& data, Control* ctl) {
    check_view(data, "exact_sum");
    if (is_integer(data.dtype)) {
        ExactSum s;
        s.add_integer(sum_int(data, ctl));
        return s;
    }
    return float_partial(data, ctl).sum;
}

}  // namespace hotloop
