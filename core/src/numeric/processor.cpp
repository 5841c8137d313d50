#include "hotloop/processor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "exact_kernels.hpp"
#include "simd.hpp"

namespace hotloop {

namespace {

constexpr uint64_t kBlock = kMomentsBlock;

struct Span {
    const double* p = nullptr;
    std::size_t n = 0;
};

}  // namespace

// ---- the canonical blocks ----

namespace {
uint64_t checked_chunk_size(uint64_t chunk_size) {
    if (chunk_size < 1) fail(ErrorKind::InvalidArgument, "chunk_size must be at least 1");
    return chunk_size;
}
}  // namespace

BlockGrid::BlockGrid(uint64_t chunk_size)
    : chunk_(checked_chunk_size(chunk_size)),
      block_(chunk_ <= kBlock ? chunk_ * (kBlock / chunk_) : kBlock),
      small_(chunk_ <= kBlock) {}

uint64_t BlockGrid::block_start(uint64_t pos) const noexcept {
    if (small_) return pos - pos % block_;
    const uint64_t within = pos % chunk_;
    return pos - within + within / block_ * block_;
}

uint64_t BlockGrid::block_end(uint64_t pos) const noexcept {
    if (small_) return block_start(pos) + block_;
    const uint64_t start = block_start(pos);
    // The block's length, not its end, is clipped to the chunk: the end of the last chunk below
    // 2^64 (2^63 + 2^63) wraps to 0, and min() of such ends cut a partial's block to nothing
    // (a crash). Ends may wrap: callers take their distance from a position, modulo 2^64.
    return start + std::min(block_, chunk_ - (start - (pos - pos % chunk_)));
}

namespace {

// How n new values at position pos fall on the grid (offsets relative to the new values):
// [0, head) completes (or extends) the open block, then `blocks` complete blocks, then
// [tail, n) opens the next one. Short chunks also: the complete chunks inside the values,
// starting at first_chunk.
struct Layout {
    uint64_t pos = 0, n = 0, head = 0, blocks = 0, tail = 0;
    uint64_t first_chunk = 0, chunks = 0;  // short chunks only
    bool head_completes = false;           // [0, head) ends the open block
};

// Long chunks: the blocks a chunk is cut into, ceil(c / kBlock). Not (c + kBlock - 1) / kBlock,
// which wraps to 0 for chunk sizes above 2^64 - kBlock (a division by zero: SIGFPE).
uint64_t blocks_per_chunk(uint64_t c) noexcept { return c / kBlock + (c % kBlock != 0); }

// Long chunks: block k counted from the start of the chunk containing a block boundary.
uint64_t long_block_start(const BlockGrid& g, uint64_t chunk_start, uint64_t k) {
    const uint64_t c = g.chunk_size(), per_chunk = blocks_per_chunk(c);
    return chunk_start + k / per_chunk * c + k % per_chunk * kBlock;
}

Layout layout_of(const BlockGrid& g, uint64_t pos, uint64_t n) {
    Layout L;
    L.pos = pos;
    L.n = n;
    const uint64_t first_end = g.block_end(pos) - pos;
    L.head = std::min(n, first_end);
    L.head_completes = n >= first_end;
    L.tail = L.head;
    const uint64_t c = g.chunk_size();
    if (L.head_completes) {
        const uint64_t at = pos + L.head, end = pos + n;  // at: a block boundary
        if (g.period() <= kBlock) {
            L.blocks = (end - at) / g.period();
            L.tail = L.head + L.blocks * g.period();
        } else {
            const uint64_t chunk_start = at - at % c, per_chunk = blocks_per_chunk(c);
            const uint64_t whole = (end - chunk_start) / c;
            const uint64_t last = whole * per_chunk + (end - chunk_start - whole * c) / kBlock;
            L.blocks = last - (at - chunk_start) / kBlock;
            L.tail = long_block_start(g, chunk_start, last) - pos;
        }
    }
    if (g.period() <= kBlock) {  // short chunks
        L.first_chunk = pos % c ? c - pos % c : 0;
        L.chunks = L.first_chunk <= n ? (n - L.first_chunk) / c : 0;
    }
    return L;
}

// The complete blocks after the head, as offsets [begin, end) into the new values.
struct BlockCursor {
    uint64_t begin, end;
};
BlockCursor first_block(const BlockGrid& g, const Layout& L) {
    return {L.head, g.block_end(L.pos + L.head) - L.pos};
}
BlockCursor next_block(const BlockGrid& g, const Layout& L, BlockCursor b) {
    return {b.end, g.block_end(L.pos + b.end) - L.pos};
}
// Block i directly (for parallel tasks).
BlockCursor block_at(const BlockGrid& g, const Layout& L, uint64_t i) {
    if (g.period() <= kBlock) return {L.head + i * g.period(), L.head + (i + 1) * g.period()};
    const uint64_t at = L.pos + L.head, c = g.chunk_size();
    const uint64_t chunk_start = at - at % c;
    const uint64_t s = long_block_start(g, chunk_start, (at - chunk_start) / kBlock + i);
    return {s - L.pos, g.block_end(s) - L.pos};
}

// ---- chunk means ----

// The mean of a chunk through an ExactSum: any values, NaN and infinities included (rare: kept
// out of the inlined fast path, which would otherwise clear an ExactSum per chunk).
__attribute__((noinline)) double exact_chunk_mean(const double* p, std::size_t n) {
    ExactSum exact;
    for (std::size_t i = 0; i < n; ++i) exact.add(get(p, i));
    return exact.divided_by(n);
}

// The mean of one chunk: its exact sum divided by its length, rounded once. Fast path: the two
// extraction levels give the exact sum as t1 + t2; otherwise an ExactSum. Widens [lo, hi] to the
// chunk's non-NaN values.
template <std::size_t B>
HL_INLINE double chunk_mean(const double* p, std::size_t n, double& lo, double& hi) {
    const MinMax mm = min_max<B>(p, n);
    lo = mm.lo < lo ? mm.lo : lo;
    hi = hi < mm.hi ? mm.hi : hi;
    if (std::isfinite(mm.lo) && std::isfinite(mm.hi)) {
        const Sigmas s = sigmas_for(std::max(-mm.lo, mm.hi), n);
        if (s.ok) {
            const LevelSums ls = level_sums<B>(p, n, s);
            if (!std::isnan(ls.t1) && !ls.remainder) {
                double hi, lo;
                two_sum(ls.t1, ls.t2, hi, lo);
                bool ok;
                const double mean = divide_exact_pair(hi, lo, n, ok);
                if (ok) return mean;
            }
        }
    }
    return exact_chunk_mean(p, n);
}

// Means of `count` consecutive chunks of `size` values into out; extremes[0..1] become the
// smallest and largest non-NaN values read (+inf, -inf for none). For simd_run.
struct ChunkMeans {
    template <std::size_t Bytes>
    HL_INLINE static void run_width(const double* p, std::size_t count, std::size_t size,
                                    double* out, double* extremes) {
        double lo = INFINITY, hi = -INFINITY;
        if (size == 1) {  // each value is its own mean
            for (std::size_t c = 0; c < count; ++c) {
                const double x = get(p, c);
                out[c] = x;
                lo = x < lo ? x : lo;
                hi = hi < x ? x : hi;
            }
        } else {
            for (std::size_t c = 0; c < count; ++c)
                out[c] = chunk_mean<Bytes>(p + c * size, size, lo, hi);
        }
        extremes[0] = lo;
        extremes[1] = hi;
    }
};

void chunk_means(const double* p, std::size_t count, std::size_t size, double* out,
                 double* extremes) {
    simd_run<ChunkMeans>(p, count, size, out, extremes);
}

double exact_mean(Span a, Span b, uint64_t n) {  // the mean of a chunk split in two spans
    ExactSum s;
    for (const Span& part : {a, b})
        for (std::size_t i = 0; i < part.n; ++i) s.add(part.p[i]);
    return s.divided_by(n);
}

// The values as a contiguous float64 array in C order: the view itself when it is one, else a
// copy (converted in parallel, blocks of 2^16).
Buffer gather_float64(const View& v, Control* ctl) {
    const std::size_t n = v.size();
    Buffer out(DType::Float64, n);
    double* dst = out.as<double>();
    constexpr std::size_t kCopy = std::size_t(1) << 16;
    dispatch_dtype(v.dtype, [&](auto tag) {
        using T = decltype(tag);
        parallel_blocks(
            block_count(n, kCopy),
            [&](std::size_t b) {
                std::size_t i = b * kCopy;
                for_each_run(v, i, std::min(n, i + kCopy),
                             [&](const char* first, std::size_t count, std::ptrdiff_t step) {
                                 for (std::size_t j = 0; j < count; ++j)
                                     dst[i++] = get(reinterpret_cast<const T*>(
                                                        first + std::ptrdiff_t(j) * step), 0);
                             });
            },
            ctl);
    });
    return out;
}

}  // namespace

// ---- state ----

struct DataProcessor::State {
    Buffer means;  // [0, means_held): the means of the full chunks held, oldest first
    std::size_t means_held = 0;
    uint64_t held = 0;          // values held
    Moments done;               // the completed blocks held, merged in order
    Moments chunk_done;         // long chunks: the completed blocks of the partial chunk
    std::vector<double> open;   // the values of the open block: [block_start(held), held)

    State copy() const {
        State s;
        s.means = Buffer(DType::Float64, means_held);
        if (means_held) std::memcpy(s.means.data(), means.data(), means_held * sizeof(double));
        s.means_held = means_held;
        s.held = held;
        s.done = done;
        s.chunk_done = chunk_done;
        s.open = open;
        return s;
    }
};

namespace {

using State = DataProcessor::State;

// The parallel part of an add: the Moments of the complete blocks inside the new values and
// (short chunks) the means of the complete chunks inside them.
struct Work {
    std::vector<Moments> blocks;
    double* means = nullptr;  // layout.chunks means, written by compute_work
};

// Reads the values once, in parallel: one task per complete block (its Moments and its chunks'
// means), plus one task each for the chunks inside the head and inside the tail.
void compute_work(const BlockGrid& g, const Layout& L, const double* values, Work& w,
                  Control* ctl) {
    const bool short_chunks = g.period() <= kBlock;
    const uint64_t c = g.chunk_size();
    const auto means_in = [&](uint64_t begin, uint64_t end) {  // chunks inside [begin, end)
        if (!short_chunks || end <= L.first_chunk) return;
        begin = std::max(begin, L.first_chunk);
        const uint64_t first = (begin - L.first_chunk + c - 1) / c;  // index of the first chunk
        const uint64_t from = L.first_chunk + first * c;
        if (from >= end) return;
        const uint64_t count = (end - from) / c;
        double extremes[2];
        chunk_means(values + from, count, c, w.means + first, extremes);
    };
    const std::size_t tasks = 2 + L.blocks;
    parallel_blocks(
        tasks,
        [&](std::size_t t) {
            if (t == 0) return means_in(0, L.head);
            if (t == tasks - 1) return means_in(L.tail, L.n);
            const BlockCursor b = block_at(g, L, t - 1);
            // The next block follows in memory: prefetched while this one is summarized.
            const double* next = b.end < L.n ? values + b.end : nullptr;
            const double* block = values + b.begin;
            const std::size_t len = static_cast<std::size_t>(b.end - b.begin);
            if (short_chunks && c >= 16) {  // the chunks' means from the block's own pass
                double* means = w.means + (b.begin - L.first_chunk) / c;
                std::vector<std::size_t> pending;
                w.blocks[t - 1] = Moments::of_chunks(block, len, c, means, &pending, next);
                for (std::size_t k : pending) {
                    double lo = INFINITY, hi = -INFINITY;
                    means[k] = chunk_mean<16>(block + k * c, c, lo, hi);  // baseline code
                }
            } else if (short_chunks) {  // tiny chunks: their means first, which find the extremes
                double extremes[2];
                chunk_means(block, len / c, c, w.means + (b.begin - L.first_chunk) / c, extremes);
                w.blocks[t - 1] = Moments::of_block(block, len, next, extremes);
            } else {
                w.blocks[t - 1] = Moments::of_block(block, b.end - b.begin, next);
            }
        },
        ctl);
}

// What an add changes, prepared without touching the state; commit() installs it.
struct Plan {
    Buffer grown;  // new means storage when the old one is too small (old means copied)
    double* means_out = nullptr;  // where this add's means go: past the held ones
    std::size_t means_added = 0;
    Moments done, chunk_done;
    std::vector<double> open;  // the new open block, when the head completes the old one
    bool appending = false;    // else: `append` goes at the end of the open block (room reserved)
    Span append;
    uint64_t held = 0;
};

// Room for `count` more means, in place or in a grown buffer.
void reserve_means(const State& s, std::size_t count, Plan& plan) {
    if (count > SIZE_MAX / sizeof(double) - s.means_held) throw std::bad_alloc();
    if (s.means_held + count > s.means.length()) {
        plan.grown = Buffer(DType::Float64, std::max(s.means_held + count, 2 * s.means.length()));
        if (s.means_held)
            std::memcpy(plan.grown.data(), s.means.data(), s.means_held * sizeof(double));
    }
    Buffer& target = plan.grown.data() ? plan.grown : const_cast<Buffer&>(s.means);
    plan.means_out = target.as<double>() + s.means_held;
}

// The moments of a canonical block, as every path computes them (blocks of whole chunks have a
// chunk-structured pass of their own).
Moments canonical_block(const BlockGrid& g, const double* values, std::size_t n) {
    if (g.period() <= kBlock)
        return Moments::of_chunks(values, n, static_cast<std::size_t>(g.chunk_size()), nullptr,
                                  nullptr);
    return Moments::of_block(values, n);
}

// Merges one completed block into the plan; for long chunks, a block that ends its chunk gives
// the chunk's mean from the exact sum of its blocks.
void complete_block(const BlockGrid& g, const Moments& block, uint64_t block_end, Plan& plan) {
    plan.done.merge(block);
    if (g.period() <= kBlock) return;
    plan.chunk_done.merge(block);
    if (g.ends_chunk(block_end)) {
        plan.means_out[plan.means_added++] = plan.chunk_done.sum.divided_by(g.chunk_size());
        plan.chunk_done = Moments{};
    }
}

// The serial part of an add, given the parallel work: the chunk straddling the old and the new
// values, the open block completed by the head, the complete blocks in order, the new open block.
void plan_add(const BlockGrid& g, State& s, const Layout& L, Span head,
              const Moments* blocks, const double* inner_means, Span tail, Plan& plan) {
    plan.done = s.done;
    plan.chunk_done = s.chunk_done;
    plan.held = s.held + L.n;
    const uint64_t c = g.chunk_size();
    if (g.period() <= kBlock && s.held % c && head.n >= c - s.held % c) {
        const std::size_t kept = static_cast<std::size_t>(s.held % c);
        const Span old{s.open.data() + s.open.size() - kept, kept};
        plan.means_out[plan.means_added++] = exact_mean(old, Span{head.p, c - kept}, c);
    }
    if (L.head_completes) {
        std::vector<double> block(s.open);
        block.insert(block.end(), head.p, head.p + head.n);
        complete_block(g, canonical_block(g, block.data(), block.size()), s.held + head.n, plan);
    }
    if (L.chunks && inner_means != plan.means_out + plan.means_added)
        std::memcpy(plan.means_out + plan.means_added, inner_means, L.chunks * sizeof(double));
    plan.means_added += L.chunks;
    BlockCursor b = first_block(g, L);
    for (uint64_t i = 0; i < L.blocks; ++i, b = next_block(g, L, b))
        complete_block(g, blocks[i], L.pos + b.end, plan);
    if (L.head_completes) {
        plan.open.assign(tail.p, tail.p + tail.n);
    } else {  // room now (the values held do not change), the values at commit
        s.open.reserve(s.open.size() + head.n);
        plan.appending = true;
        plan.append = head;
    }
}

void commit(State& s, Plan& plan) noexcept {
    if (plan.grown.data()) s.means = std::move(plan.grown);
    s.means_held += plan.means_added;
    s.held = plan.held;
    s.done = plan.done;
    s.chunk_done = plan.chunk_done;
    if (plan.appending)
        s.open.insert(s.open.end(), plan.append.p, plan.append.p + plan.append.n);  // no realloc
    else
        s.open.swap(plan.open);
}

// How many means an add of the layout produces.
std::size_t means_of(const BlockGrid& g, const Layout& L) {
    const uint64_t c = g.chunk_size();
    return static_cast<std::size_t>((L.pos + L.n) / c - L.pos / c);
}

// ---- serialization helpers ----

class Writer {
public:
    void u64(uint64_t v) {
        for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<unsigned char>(v >> (8 * i)));
    }
    void doubles(const double* p, std::size_t n) {
        u64(n);
        for (std::size_t i = 0; i < n; ++i) {
            uint64_t b;
            std::memcpy(&b, p + i, sizeof b);
            u64(b);
        }
    }
    void moments(const Moments& m) {
        const std::size_t at = bytes.size();
        bytes.resize(at + Moments::kBytes);
        m.to_bytes(bytes.data() + at);
    }
    Buffer buffer() const {
        Buffer out(DType::UInt8, bytes.size());
        if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
        return out;
    }
    std::vector<unsigned char> bytes;
};

class Reader {
public:
    Reader(const unsigned char* p, std::size_t n, const char* what) : p_(p), n_(n), what_(what) {}
    uint64_t u64() {
        need(8);
        uint64_t v = 0;
        for (int i = 7; i >= 0; --i) v = (v << 8) | p_[i];
        p_ += 8;
        n_ -= 8;
        return v;
    }
    std::vector<double> doubles(uint64_t at_most) {
        const uint64_t n = u64();
        if (n > at_most || n > n_ / 8) corrupt();
        std::vector<double> out(n);
        for (auto& x : out) {
            const uint64_t b = u64();
            std::memcpy(&x, &b, sizeof x);
        }
        return out;
    }
    Moments moments() {
        need(Moments::kBytes);
        Moments m;
        try {
            m = Moments::from_bytes(p_, Moments::kBytes);
        } catch (const Error&) {
            // Moments' own message ("not a serialized hotloop Moments record") would name a
            // part of the record the caller never handed over: the record is corrupt.
            corrupt();
        }
        p_ += Moments::kBytes;
        n_ -= Moments::kBytes;
        if (m.dtype != DType::Float64 || m.nan_policy != NanPolicy::Propagate) corrupt();
        return m;
    }
    void magic(const char* tag, unsigned char version) {
        need(8);
        if (std::memcmp(p_, tag, 4) != 0)
            fail(ErrorKind::InvalidArgument, std::string("not a serialized hotloop ") + what_);
        if (p_[4] != version)
            fail(ErrorKind::InvalidArgument, std::string("a serialized ") + what_ +
                                                 " of format version " + std::to_string(p_[4]) +
                                                 " (this library reads " +
                                                 std::to_string(version) + ")");
        p_ += 8;
        n_ -= 8;
    }
    void end() const {
        if (n_) corrupt();
    }
    [[noreturn]] void corrupt() const {
        fail(ErrorKind::InvalidArgument, std::string("a corrupt serialized ") + what_);
    }

private:
    void need(std::size_t k) const {
        if (n_ < k) corrupt();
    }
    const unsigned char* p_;
    std::size_t n_;
    const char* what_;
};

constexpr char kProcessorMagic[] = "HLDP";
constexpr char kPartialMagic[] = "HLCP";
constexpr unsigned char kFormat = 1;

void write_magic(Writer& w, const char* tag) {
    for (int i = 0; i < 4; ++i) w.bytes.push_back(static_cast<unsigned char>(tag[i]));
    w.bytes.push_back(kFormat);
    for (int i = 0; i < 3; ++i) w.bytes.push_back(0);
}

// A ChunkPartial: what partial() computed, as add_partials reads it.
struct Partial {
    uint64_t chunk_size = 0, phase = 0, length = 0;
    std::vector<double> head, tail, means;
    std::vector<Moments> blocks;
};

// A processor holds at most 2^64 - 1 values (its count is a uint64): more is refused, never
// wrapped. Only a processor read from forged bytes holds enough values to get there.
void check_room(uint64_t held, uint64_t n, const char* what) {
    if (n > std::numeric_limits<uint64_t>::max() - held)
        fail(ErrorKind::Overflow, std::string(what) + ": " + std::to_string(held) + " values held + " +
                                      std::to_string(n) + " passes 2**64 - 1, the most a "
                                      "DataProcessor can hold");
}

}  // namespace

// ---- DataProcessor ----

DataProcessor::DataProcessor(std::size_t chunk_size)
    : grid_(chunk_size), state_(std::make_unique<State>()) {}

DataProcessor::~DataProcessor() = default;

DataProcessor::DataProcessor(const DataProcessor& other) : grid_(other.grid_) {
    std::lock_guard<std::mutex> lock(other.mutex_);
    state_ = std::make_unique<State>(other.state_->copy());
}

void DataProcessor::add(const View& values, Control* ctl) {
    check_view(values, "add");
    if (ctl) ctl->check();
    const std::size_t n = values.size();
    if (n == 0) return;
    Buffer converted;  // other dtypes and layouts: one float64 copy, made outside the lock
    const bool in_place = values.dtype == DType::Float64 && values.c_contiguous();
    if (!in_place) converted = gather_float64(values, ctl);
    const double* x = in_place ? static_cast<const double*>(values.data) : converted.as<double>();

    std::lock_guard<std::mutex> lock(mutex_);
    State& s = *state_;
    check_room(s.held, n, "add");
    const Layout L = layout_of(grid_, s.held, n);
    // Everything that can fail to allocate, before the values are read.
    Plan plan;
    reserve_means(s, means_of(grid_, L), plan);
    Work w;
    w.blocks.resize(L.blocks);
    const std::size_t straddle = (grid_.period() <= kBlock && s.held % grid_.chunk_size() &&
                                  L.first_chunk <= n) ? 1 : 0;
    w.means = plan.means_out + straddle;
    compute_work(grid_, L, x, w, ctl);
    plan_add(grid_, s, L, Span{x, L.head}, w.blocks.data(), w.means, Span{x + L.tail, n - L.tail},
             plan);
    if (ctl) ctl->check();  // the last point where cancelling leaves the processor untouched
    commit(s, plan);
}

Buffer DataProcessor::process_chunks(Control* ctl) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ctl) ctl->check();
    State& s = *state_;
    if (s.means_held == 0) return Buffer(DType::Float64, 0);
    const uint64_t c = grid_.chunk_size();
    const uint64_t kept = s.held % c;  // the partial chunk stays, now at position 0
    std::vector<double> open;
    Moments done;
    if (grid_.period() <= kBlock) {
        open.assign(s.open.end() - static_cast<std::ptrdiff_t>(kept), s.open.end());
    } else {
        open = s.open;
        done = s.chunk_done;
    }
    if (ctl) ctl->check();  // the last point where cancelling leaves the processor untouched
    Buffer means = std::move(s.means);  // handed out as they are: no copy
    means.truncate(s.means_held);
    s.means = Buffer();
    s.means_held = 0;
    s.held = kept;
    s.done = done;
    s.open.swap(open);
    return means;
}

Statistics DataProcessor::statistics(Control* ctl) const {
    if (ctl) ctl->check();
    std::lock_guard<std::mutex> lock(mutex_);
    Moments m = state_->done;
    if (!state_->open.empty())
        m.merge(canonical_block(grid_, state_->open.data(), state_->open.size()));
    return m.finish(0, false);
}

void DataProcessor::clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    *state_ = State();
}

std::size_t DataProcessor::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<std::size_t>(state_->held);
}

Buffer DataProcessor::to_bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    const State& s = *state_;
    Writer w;
    write_magic(w, kProcessorMagic);
    w.u64(grid_.chunk_size());
    w.u64(s.held);
    w.doubles(static_cast<const double*>(s.means.data()), s.means_held);
    w.moments(s.done);
    w.moments(s.chunk_done);
    w.doubles(s.open.data(), s.open.size());
    return w.buffer();
}

std::unique_ptr<DataProcessor> DataProcessor::from_bytes(const unsigned char* data, std::size_t n) {
    Reader r(data, n, "DataProcessor");
    if (data == nullptr) r.corrupt();
    r.magic(kProcessorMagic, kFormat);
    const uint64_t chunk = r.u64();
    if (chunk == 0 || chunk > SIZE_MAX) r.corrupt();
    auto p = std::make_unique<DataProcessor>(static_cast<std::size_t>(chunk));
    const BlockGrid& g = p->grid_;
    State& s = *p->state_;
    s.held = r.u64();
    const std::vector<double> means = r.doubles(s.held / chunk);
    s.done = r.moments();
    s.chunk_done = r.moments();
    s.open = r.doubles(kBlock);
    r.end();
    // The pieces must describe one sequence of held values.
    const uint64_t open_start = g.block_start(s.held);
    const uint64_t chunk_start = s.held - s.held % chunk;
    if (means.size() != s.held / chunk || s.open.size() != s.held - open_start ||
        s.done.values() != open_start ||
        s.chunk_done.values() != (g.period() <= kBlock ? 0 : open_start - chunk_start))
        r.corrupt();
    s.means = Buffer(DType::Float64, means.size());
    if (!means.empty()) std::memcpy(s.means.data(), means.data(), means.size() * sizeof(double));
    s.means_held = means.size();
    return p;
}

Buffer DataProcessor::partial(const View& values, std::size_t chunk_size, uint64_t offset,
                              Control* ctl) {
    check_view(values, "partial");
    if (ctl) ctl->check();
    const BlockGrid g(chunk_size);
    const std::size_t n = values.size();
    // A processor holds at most 2^64 - 1 values: the partition's last one must be countable.
    if (n > std::numeric_limits<uint64_t>::max() - offset)
        fail(ErrorKind::InvalidArgument,
             "partial: offset " + std::to_string(offset) + " + " + std::to_string(n) +
                 " values passes 2**64 - 1, the most a DataProcessor can hold");
    Buffer converted;
    const bool in_place = values.dtype == DType::Float64 && values.c_contiguous();
    if (!in_place && n) converted = gather_float64(values, ctl);
    const double* x = in_place ? static_cast<const double*>(values.data) : converted.as<double>();
    const uint64_t phase = offset % g.period();
    const Layout L = layout_of(g, phase, n);
    Work w;
    w.blocks.resize(L.blocks);
    std::vector<double> means(L.chunks);
    w.means = means.data();
    if (n) compute_work(g, L, x, w, ctl);
    Writer out;
    write_magic(out, kPartialMagic);
    out.u64(chunk_size);
    out.u64(phase);
    out.u64(n);
    out.doubles(x, L.head);
    out.doubles(x ? x + L.tail : nullptr, n - L.tail);
    out.doubles(means.data(), means.size());
    out.u64(w.blocks.size());
    for (const Moments& m : w.blocks) out.moments(m);
    return out.buffer();
}

namespace {

Partial read_partial(const BlockGrid& g, const unsigned char* data, std::size_t size) {
    Reader r(data, size, "ChunkPartial");
    if (data == nullptr) r.corrupt();
    r.magic(kPartialMagic, kFormat);
    Partial p;
    p.chunk_size = r.u64();
    if (p.chunk_size != g.chunk_size())
        fail(ErrorKind::InvalidArgument,
             "add_partials: a partial made for chunk_size " + std::to_string(p.chunk_size) +
                 ", this processor's is " + std::to_string(g.chunk_size()));
    p.phase = r.u64();
    p.length = r.u64();
    if (p.phase >= g.period()) r.corrupt();
    const Layout L = layout_of(g, p.phase, p.length);
    p.head = r.doubles(kBlock);
    p.tail = r.doubles(kBlock);
    p.means = r.doubles(L.chunks);
    const uint64_t blocks = r.u64();
    if (blocks != L.blocks || p.head.size() != L.head || p.tail.size() != p.length - L.tail ||
        p.means.size() != L.chunks)
        r.corrupt();
    p.blocks.reserve(blocks);
    BlockCursor b = first_block(g, L);
    for (uint64_t i = 0; i < blocks; ++i, b = next_block(g, L, b)) {
        p.blocks.push_back(r.moments());
        if (p.blocks.back().values() != b.end - b.begin) r.corrupt();
    }
    r.end();
    return p;
}

}  // namespace

void DataProcessor::add_partials(const unsigned char* const* partials, const std::size_t* sizes,
                                 std::size_t n, Control* ctl) {
    if (n && (partials == nullptr || sizes == nullptr))
        fail(ErrorKind::InvalidArgument, "add_partials: NULL partials or sizes");
    for (std::size_t i = 0; i < n; ++i)
        if (partials[i] == nullptr)
            fail(ErrorKind::InvalidArgument,
                 "add_partials: partials[" + std::to_string(i) + "] is NULL");
    std::vector<Partial> parsed;
    parsed.reserve(n);
    for (std::size_t i = 0; i < n; ++i) parsed.push_back(read_partial(grid_, partials[i], sizes[i]));
    if (ctl) ctl->check();
    std::lock_guard<std::mutex> lock(mutex_);
    uint64_t expected = state_->held % grid_.period(), held = state_->held;
    for (std::size_t i = 0; i < n; ++i) {
        check_room(held, parsed[i].length, "add_partials");
        held += parsed[i].length;
        if (parsed[i].phase != expected)
            fail(ErrorKind::InvalidArgument,
                 "add_partials: partial " + std::to_string(i) + " was made for offset " +
                     std::to_string(parsed[i].phase) + " (modulo " + std::to_string(grid_.period()) +
                     "), but its values would start at " + std::to_string(expected) +
                     ": its offset must be the number of values before it");
        expected = (expected + parsed[i].length) % grid_.period();
    }
    State next = state_->copy();
    for (const Partial& p : parsed) {
        const Layout L = layout_of(grid_, next.held, p.length);
        Plan plan;
        reserve_means(next, means_of(grid_, L), plan);
        plan_add(grid_, next, L, Span{p.head.data(), p.head.size()}, p.blocks.data(),
                 p.means.data(), Span{p.tail.data(), p.tail.size()}, plan);
        commit(next, plan);
        if (ctl) ctl->check();
    }
    std::swap(*state_, next);
}

}  // namespace hotloop
