#include "hotloop/exact_sum.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include "hotloop/error.hpp"

namespace hotloop {
namespace {

constexpr int kDigits = ExactSum::kDigits;
constexpr int kUnitExp = -1074;  // digit 0 bit 0 is worth 2^-1074
constexpr uint64_t kDigitMask = 0xffffffffu;

// A non-negative big integer as base-2^32 digits, least significant first.
struct Magnitude {
    uint32_t d[kDigits + 4] = {};
    int n = 0;  // digits in use

    bool bit(long i) const noexcept {
        if (i < 0 || i >= 32L * n) return false;
        return (d[i / 32] >> (i % 32)) & 1u;
    }
    // Bits [lo, lo + count) as an integer (count <= 64; bits outside the number are 0).
    uint64_t bits(long lo, int count) const noexcept {
        uint64_t out = 0;
        for (int k = count - 1; k >= 0; --k) out = (out << 1) | (bit(lo + k) ? 1u : 0u);
        return out;
    }
    bool any_below(long pos) const noexcept {  // any set bit with index < pos
        if (pos <= 0) return false;
        const long full = pos / 32;
        for (long i = 0; i < full && i < n; ++i)
            if (d[i]) return true;
        if (full < n && (pos % 32) && (d[full] & ((uint32_t(1) << (pos % 32)) - 1))) return true;
        return false;
    }
    long top() const noexcept {  // index of the highest set bit, -1 for zero
        for (int i = n - 1; i >= 0; --i)
            if (d[i]) return 32L * i + 31 - __builtin_clz(d[i]);
        return -1;
    }
};

// The finite part of normalized digits as sign and magnitude.
int to_magnitude(const int64_t* digit, Magnitude& m) noexcept {
    const bool negative = digit[kDigits - 1] < 0;
    m.n = kDigits;
    uint64_t carry = 1;
    for (int i = 0; i < kDigits; ++i) {
        const uint32_t v = static_cast<uint32_t>(static_cast<uint64_t>(digit[i]) & kDigitMask);
        if (negative) {
            const uint64_t t = static_cast<uint64_t>(~v) + carry;
            m.d[i] = static_cast<uint32_t>(t);
            carry = t >> 32;
        } else {
            m.d[i] = v;
        }
    }
    if (m.top() < 0) return 0;
    return negative ? -1 : 1;
}

// mag * 2^unit_exp, plus something in (0, 2^unit_exp) when sticky, rounded to the nearest
// double (ties to even); +inf beyond the range. Callers give sticky only with unit_exp far below
// the double grid, so that the round bit is a real bit.
double round_to_double(const Magnitude& mag, long unit_exp, bool sticky) noexcept {
    const long p = mag.top();
    if (p < 0) return 0.0;
    const long lead = p + unit_exp;  // the value is in [2^lead, 2^(lead + 1))
    const long lsb_exp = std::max(lead - 52, -1074L);
    const long lsb = lsb_exp - unit_exp;  // index of the bit that becomes the last kept one
    if (lsb <= 0) return std::ldexp(static_cast<double>(mag.bits(0, int(p + 1))), int(unit_exp));
    uint64_t m = mag.bits(lsb, int(p - lsb + 1));
    const bool round = mag.bit(lsb - 1);
    const bool rest = sticky || mag.any_below(lsb - 1);
    if (round && (rest || (m & 1))) ++m;  // m may become 2^53: still exact as a double
    if (lsb_exp > 1023) return std::numeric_limits<double>::infinity();
    return std::ldexp(static_cast<double>(m), int(lsb_exp));
}

// mag * 2^unit_exp rounded to a quad (113-bit significand, ties to even).
quad round_to_quad(const Magnitude& mag, long unit_exp) noexcept {
    const long p = mag.top();
    if (p < 0) return 0;
    const long lsb = std::max(0L, p - 112);
    uint128_t m = 0;
    for (long i = p; i >= lsb; --i) m = (m << 1) | (mag.bit(i) ? 1u : 0u);
    if (lsb > 0 && mag.bit(lsb - 1) && (mag.any_below(lsb - 1) || (m & 1))) ++m;
    return static_cast<quad>(m) * pow2_quad(lsb + unit_exp);
}

void put_u64(unsigned char* out, uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(v >> (8 * i));
}
uint64_t get_u64(const unsigned char* in) noexcept {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
    return v;
}

constexpr unsigned char kMagic[4] = {'H', 'L', 'X', 'S'};
constexpr unsigned char kVersion = 1;

}  // namespace

void ExactSum::add_finite(double x) noexcept {
    uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    const int biased = static_cast<int>((bits >> 52) & 0x7ff);
    uint64_t mant = bits & ((uint64_t(1) << 52) - 1);
    if (biased) mant |= uint64_t(1) << 52;
    if (mant == 0) return;
    const int shift = biased ? biased - 1 : 0;  // x = mant * 2^shift units of 2^-1074
    const uint128_t v = static_cast<uint128_t>(mant) << (shift & 31);
    const int i = shift >> 5;
    const int64_t d0 = static_cast<int64_t>(v & kDigitMask);
    const int64_t d1 = static_cast<int64_t>((v >> 32) & kDigitMask);
    const int64_t d2 = static_cast<int64_t>(v >> 64);
    if (bits >> 63) {
        digit_[i] -= d0;
        digit_[i + 1] -= d1;
        digit_[i + 2] -= d2;
    } else {
        digit_[i] += d0;
        digit_[i + 1] += d1;
        digit_[i + 2] += d2;
    }
    note_add();
}

void ExactSum::add(double x) noexcept {
    kind_ = Kind::Float;
    if (std::isfinite(x)) {
        add_finite(x);
    } else if (std::isnan(x)) {
        ++nan_;
    } else if (x > 0) {
        ++pos_inf_;
    } else {
        ++neg_inf_;
    }
}

void ExactSum::add_integer(int128_t v) noexcept {
    if (kind_ == Kind::Empty) kind_ = Kind::Integer;
    if (v == 0) return;
    // v * 2^1074 units: 1074 = 33 * 32 + 18.
    const bool negative = v < 0;
    const uint128_t mag = negative ? uint128_t(0) - static_cast<uint128_t>(v) : uint128_t(v);
    const uint128_t low = mag << 18;
    const int64_t parts[5] = {
        static_cast<int64_t>(low & kDigitMask), static_cast<int64_t>((low >> 32) & kDigitMask),
        static_cast<int64_t>((low >> 64) & kDigitMask), static_cast<int64_t>((low >> 96) & kDigitMask),
        static_cast<int64_t>(mag >> 110)};
    for (int k = 0; k < 5; ++k) digit_[33 + k] += negative ? -parts[k] : parts[k];
    note_add();
}

namespace {
uint64_t saturating_add(uint64_t a, uint64_t b) noexcept { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
}  // namespace

void ExactSum::add(const ExactSum& other) {
    // Built aside: a sum out of range is refused before this one changes.
    ExactSum sum = *this, copy = other;
    if (other.kind_ == Kind::Float || (other.kind_ == Kind::Integer && kind_ == Kind::Empty))
        sum.kind_ = other.kind_;
    copy.normalize();
    sum.normalize();
    // Normalized digits are below 2^32 and the top ones of sums in range are 0 or -1: only a
    // sum that was already out of range could wrap the top digit.
    bool wrapped = false;
    for (int i = 0; i < kDigits; ++i)
        wrapped |= __builtin_add_overflow(sum.digit_[i], copy.digit_[i], &sum.digit_[i]);
    // The counts saturate instead of wrapping: only records read from bytes can hold counts that
    // large, and a NaN or an infinity once counted must never vanish from the sum (they only
    // decide NaN or +-inf, which a saturated count still does).
    sum.nan_ = saturating_add(nan_, other.nan_);
    sum.pos_inf_ = saturating_add(pos_inf_, other.pos_inf_);
    sum.neg_inf_ = saturating_add(neg_inf_, other.neg_inf_);
    sum.normalize();
    if (wrapped || !sum.in_range())
        fail(ErrorKind::Overflow, "ExactSum: the merged sum's magnitude reaches 2**" +
                                      std::to_string(kLimitBits) +
                                      ", beyond what an ExactSum holds (a sum merged into itself "
                                      "again and again, or a forged record)");
    *this = sum;
}

void ExactSum::normalize() noexcept {
    int64_t carry = 0;
    for (int i = 0; i < kDigits - 1; ++i) {
        const int64_t v = digit_[i] + carry;
        digit_[i] = v & static_cast<int64_t>(kDigitMask);
        carry = v >> 32;  // floor division: arithmetic shift
    }
    digit_[kDigits - 1] += carry;
    pending_ = 0;
}

bool ExactSum::in_range() const noexcept {
    // Two's complement: every bit from 1074 + kLimitBits up equals the sign.
    constexpr long kLimitUnitBit = 1074 + kLimitBits;
    constexpr int kLimitDigit = static_cast<int>(kLimitUnitBit / 32), kShift = kLimitUnitBit % 32;
    const int64_t top = digit_[kDigits - 1];
    if (top != 0 && top != -1) return false;
    const int64_t fill = top ? static_cast<int64_t>(kDigitMask) : 0;
    for (int i = kLimitDigit + 1; i < kDigits - 1; ++i)
        if (digit_[i] != fill) return false;
    return (digit_[kLimitDigit] >> kShift) == (fill >> kShift);
}

int ExactSum::sign() const noexcept {
    ExactSum copy = *this;
    copy.normalize();
    if (copy.digit_[kDigits - 1] < 0) return -1;
    for (int i = 0; i < kDigits; ++i)
        if (copy.digit_[i]) return 1;
    return 0;
}

double ExactSum::value() const noexcept {
    if (nan_ || (pos_inf_ && neg_inf_)) return std::numeric_limits<double>::quiet_NaN();
    if (pos_inf_) return std::numeric_limits<double>::infinity();
    if (neg_inf_) return -std::numeric_limits<double>::infinity();
    ExactSum copy = *this;
    copy.normalize();
    Magnitude mag;
    const int s = to_magnitude(copy.digit_, mag);
    if (s == 0) return 0.0;
    const double r = round_to_double(mag, kUnitExp, false);
    return s < 0 ? -r : r;
}

double ExactSum::divided_by(uint64_t n) const noexcept {
    if (nan_ || (pos_inf_ && neg_inf_)) return std::numeric_limits<double>::quiet_NaN();
    if (pos_inf_) return std::numeric_limits<double>::infinity();
    if (neg_inf_) return -std::numeric_limits<double>::infinity();
    ExactSum copy = *this;
    copy.normalize();
    Magnitude mag;
    const int s = to_magnitude(copy.digit_, mag);
    if (s == 0) return 0.0;
    // Long division with two extra fractional digits: the quotient then has bits well below
    // the double grid, and the remainder only decides the sticky bit.
    Magnitude q;
    q.n = kDigits + 2;
    uint64_t rem = 0;
    for (int i = kDigits + 1; i >= 0; --i) {
        const uint64_t digit = i >= 2 ? mag.d[i - 2] : 0;
        const uint128_t cur = (static_cast<uint128_t>(rem) << 32) | digit;
        q.d[i] = static_cast<uint32_t>(cur / n);
        rem = static_cast<uint64_t>(cur % n);
    }
    const double r = round_to_double(q, kUnitExp - 64, rem != 0);
    return s < 0 ? -r : r;
}

void ExactSum::split(double& hi, double& lo) const noexcept {
    ExactSum finite = *this;
    finite.nan_ = finite.pos_inf_ = finite.neg_inf_ = 0;
    hi = finite.value();
    if (!std::isfinite(hi)) {
        lo = 0.0;
        return;
    }
    finite.add_finite(-hi);
    lo = finite.value();
}

quad ExactSum::to_quad() const noexcept {
    ExactSum copy = *this;
    copy.normalize();
    Magnitude mag;
    const int s = to_magnitude(copy.digit_, mag);
    const quad r = round_to_quad(mag, kUnitExp);
    return s < 0 ? -r : r;
}

quad ExactSum::weighted_difference(const ExactSum& a, uint64_t wa, const ExactSum& b,
                                   uint64_t wb) noexcept {
    ExactSum x = a, y = b;
    x.normalize();
    y.normalize();
    // Two's complement digits of wa * x - wb * y, with room for the 64-bit weights.
    constexpr int kWide = kDigits + 3;
    int64_t wide[kWide];
    int128_t acc = 0;
    for (int i = 0; i < kWide; ++i) {
        if (i < kDigits)
            acc += static_cast<int128_t>(x.digit_[i]) * wa - static_cast<int128_t>(y.digit_[i]) * wb;
        wide[i] = static_cast<int64_t>(acc & static_cast<int128_t>(kDigitMask));
        acc >>= 32;
    }
    const bool negative = acc < 0;
    Magnitude mag;
    mag.n = kWide;
    uint64_t carry = 1;
    for (int i = 0; i < kWide; ++i) {
        const uint32_t v = static_cast<uint32_t>(wide[i]);
        if (negative) {
            const uint64_t t = static_cast<uint64_t>(~v) + carry;
            mag.d[i] = static_cast<uint32_t>(t);
            carry = t >> 32;
        } else {
            mag.d[i] = v;
        }
    }
    const quad r = round_to_quad(mag, kUnitExp);
    return negative ? -r : r;
}

bool ExactSum::integer_bytes(unsigned char* out) const noexcept {
    ExactSum copy = *this;
    copy.normalize();
    // Integer iff the 1074 fraction bits (digits 0..32 and 18 bits of digit 33) are zero.
    for (int i = 0; i < 33; ++i)
        if (copy.digit_[i]) return false;
    if (copy.digit_[33] & ((1 << 18) - 1)) return false;
    const int64_t top = copy.digit_[kDigits - 1];
    auto bit = [&](long i) -> unsigned {  // bit i of the two's complement number
        const long digit = i / 32;
        if (digit >= kDigits - 1) {
            const long shift = std::min<long>(i - 32L * (kDigits - 1), 63);
            return static_cast<unsigned>((top >> shift) & 1);
        }
        return static_cast<unsigned>((copy.digit_[digit] >> (i % 32)) & 1);
    };
    for (std::size_t byte = 0; byte < kIntegerBytes; ++byte) {
        unsigned v = 0;
        for (int k = 7; k >= 0; --k) v = (v << 1) | bit(1074 + 8L * long(byte) + k);
        out[byte] = static_cast<unsigned char>(v);
    }
    return true;
}

void ExactSum::to_bytes(unsigned char* out) const noexcept {
    ExactSum copy = *this;
    copy.normalize();
    std::memcpy(out, kMagic, 4);
    out[4] = kVersion;
    out[5] = static_cast<unsigned char>(kind_);
    out[6] = out[7] = 0;
    put_u64(out + 8, nan_);
    put_u64(out + 16, pos_inf_);
    put_u64(out + 24, neg_inf_);
    for (int i = 0; i < kDigits; ++i) put_u64(out + 32 + 8 * i, static_cast<uint64_t>(copy.digit_[i]));
}

ExactSum ExactSum::from_bytes(const unsigned char* in, std::size_t size) {
    if (in == nullptr || size != kBytes || std::memcmp(in, kMagic, 4) != 0)
        fail(ErrorKind::InvalidArgument, "not a serialized hotloop ExactSum");
    if (in[4] != kVersion)
        fail(ErrorKind::InvalidArgument, "a serialized ExactSum of format version " +
                                             std::to_string(in[4]) + " (this library reads " +
                                             std::to_string(kVersion) + ")");
    if (in[5] > 2 || in[6] || in[7])
        fail(ErrorKind::InvalidArgument, "a corrupt serialized ExactSum (bad header)");
    ExactSum s;
    s.kind_ = static_cast<Kind>(in[5]);
    s.nan_ = get_u64(in + 8);
    s.pos_inf_ = get_u64(in + 16);
    s.neg_inf_ = get_u64(in + 24);
    for (int i = 0; i < kDigits; ++i) {
        const int64_t d = static_cast<int64_t>(get_u64(in + 32 + 8 * i));
        const bool ok = i < kDigits - 1 ? (d >= 0 && d <= int64_t(kDigitMask))
                                        : (d >= -(int64_t(1) << 31) && d < (int64_t(1) << 31));
        if (!ok) fail(ErrorKind::InvalidArgument, "a corrupt serialized ExactSum (bad digit)");
        s.digit_[i] = d;
    }
    // A sum of integers (or of nothing) has no fraction and counts no NaN or infinity: value()
    // reads it as an integer, and a forged one of 9.5 read as 0.
    unsigned char integer[kIntegerBytes];
    if (s.kind_ != Kind::Float && (s.nan_ || s.pos_inf_ || s.neg_inf_ || !s.integer_bytes(integer)))
        fail(ErrorKind::InvalidArgument,
             "a corrupt serialized ExactSum (an integer sum with a fraction, NaN or infinity)");
    // Digits each in range may still add up to more than a sum holds (a forged record, or one
    // an older version wrote after merges that wrapped).
    if (!s.in_range())
        fail(ErrorKind::Overflow, "a serialized ExactSum whose magnitude reaches 2**" +
                                      std::to_string(kLimitBits) + ", beyond what an ExactSum holds");
    return s;
}

bool operator==(const ExactSum& a, const ExactSum& b) noexcept {
    ExactSum x = a, y = b;
    x.normalize();
    y.normalize();
    return x.kind_ == y.kind_ && x.nan_ == y.nan_ && x.pos_inf_ == y.pos_inf_ &&
           x.neg_inf_ == y.neg_inf_ && std::memcmp(x.digit_, y.digit_, sizeof x.digit_) == 0;
}

}  // namespace hotloop
