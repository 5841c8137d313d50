// ExactSum: the exact sum of any number of doubles and integers (a superaccumulator, Neal 2015,
// "Fast exact summation using small and large superaccumulators", arXiv:1505.05571). Adding is
// exact and order-free, so sums computed over any split of the data, in any order, on any number
// of threads, merge into the same value; rounding happens once, when a result is read.
//
// A value record: copyable, no heap memory, safe to use from one thread at a time (copies are
// independent). NaN and infinities are counted rather than summed, as math.fsum treats them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hotloop {

__extension__ typedef __int128 int128_t;
__extension__ typedef unsigned __int128 uint128_t;

// __float128 on x86-64 (GCC and Clang; arithmetic from libgcc), long double where that is IEEE
// binary128 already. 113-bit significand, 15-bit exponent: the range of sums of squares of doubles.
#if defined(__x86_64__) || defined(__i386__)
__extension__ typedef __float128 quad;
#else
typedef long double quad;
static_assert(sizeof(long double) == 16, "a binary128 type is needed");
#endif

// 2^e as a quad, for -16382 <= e <= 16383 (exact).
inline quad pow2_quad(long e) noexcept {
    const uint128_t bits = static_cast<uint128_t>(e + 16383) << 112;
    quad q;
    __builtin_memcpy(&q, &bits, sizeof q);
    return q;
}

class ExactSum {
public:
    // What was added: nothing, only integers (a Python int result), or floats too.
    enum class Kind : uint8_t { Empty = 0, Integer = 1, Float = 2 };

    // Adds a double exactly; NaN and infinities are counted instead.
    void add(double x) noexcept;
    // Adds a finite double (no check).
    void add_finite(double x) noexcept;
    // Adds an integer exactly, and marks the sum as integer data unless floats were added.
    void add_integer(int128_t v) noexcept;
    // Adds another sum (exact); the kinds combine (Float wins, then Integer). A result whose
    // finite part leaves the range (|sum| >= 2^kLimitBits) throws ErrorKind::Overflow and leaves
    // this sum as it was: only merges of merges (a sum merged with itself ~1,150 times) or
    // records read from bytes get there; no data does (2^127 values of DBL_MAX).
    void add(const ExactSum& other);
    // Marks the sum as one of floats (also when no value was added).
    void mark_float() noexcept { kind_ = Kind::Float; }

    Kind kind() const noexcept { return kind_; }
    uint64_t nan_count() const noexcept { return nan_; }
    uint64_t pos_inf_count() const noexcept { return pos_inf_; }
    uint64_t neg_inf_count() const noexcept { return neg_inf_; }
    // This sum without its NaN and infinity counts: the sum of the finite values.
    ExactSum finite() const noexcept {
        ExactSum f = *this;
        f.nan_ = f.pos_inf_ = f.neg_inf_ = 0;
        return f;
    }

    // The sum rounded to the nearest double (ties to even), as math.fsum gives it: NaN if a NaN
    // or both infinities were added, +-inf if infinities of one sign were, else the exact sum of
    // the finite values correctly rounded (+-inf beyond the double range; an exact zero is +0.0).
    double value() const noexcept;
    // The same for (sum / n), n >= 1, rounded once: the correctly rounded mean.
    double divided_by(uint64_t n) const noexcept;
    // The finite part as a double-double: hi = value() of the finite part, lo = the rest rounded.
    void split(double& hi, double& lo) const noexcept;
    // The finite part, rounded to a 113-bit quad.
    quad to_quad() const noexcept;
    // wa * a - wb * b of the finite parts, exactly computed then rounded to a quad.
    static quad weighted_difference(const ExactSum& a, uint64_t wa, const ExactSum& b,
                                    uint64_t wb) noexcept;
    // -1, 0 or 1: the sign of the finite part.
    int sign() const noexcept;
    // The finite part as an integer, when it is one: little-endian two's complement in
    // kIntegerBytes bytes. False (out unchanged) if it has a fractional part.
    static constexpr std::size_t kIntegerBytes = 144;
    bool integer_bytes(unsigned char* out) const noexcept;

    // Serialization: a fixed-size, versioned, little-endian record (kBytes bytes).
    static constexpr std::size_t kBytes = 4 + 4 + 8 * 3 + 8 * 72;
    void to_bytes(unsigned char* out) const noexcept;
    // Throws ErrorKind::InvalidArgument for a record that is not one of this version (or a
    // corrupt one), ErrorKind::Overflow for a well-formed one whose finite part is out of range.
    static ExactSum from_bytes(const unsigned char* in, std::size_t size);

    friend bool operator==(const ExactSum& a, const ExactSum& b) noexcept;

    // Digits: value = sum of digit_[i] * 2^(32 i) units of 2^-1074 (the smallest subnormal).
    // Each add puts less than 2^32 into three digits; carries are propagated lazily.
    static constexpr int kDigits = 72;  // 2304 bits: 2^64 values of 2^1024 times a 2^64 weight
    // The range of the finite part: [-2^kLimitBits, 2^kLimitBits), the integers that
    // integer_bytes writes (kIntegerBytes bytes, two's complement), far above any sum of data
    // (2^64 values of DBL_MAX: 2^1088). The digits could hold 2^1229 before the top one wraps,
    // but an integer sum beyond 2^1151 would be read back wrong, so this is where a sum ends.
    static constexpr int kLimitBits = 8 * static_cast<int>(kIntegerBytes) - 1;  // 1151

private:
    void normalize() noexcept;  // every digit but the last into [0, 2^32)
    bool in_range() const noexcept;  // of normalized digits: the finite part within the limit
    void note_add() noexcept {
        if (++pending_ >= (1u << 30)) normalize();
    }

    int64_t digit_[kDigits] = {};
    uint64_t nan_ = 0, pos_inf_ = 0, neg_inf_ = 0;
    uint32_t pending_ = 0;  // adds since the digits were last normalized
    Kind kind_ = Kind::Empty;
};

}  // namespace hotloop
