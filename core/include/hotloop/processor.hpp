// DataProcessor: a FIFO of float64 values consumed in fixed-size chunks, with the statistics of
// the values held. All member functions are safe to call from several threads at once (one
// internal mutex); every mutation is all or nothing, including a cancelled one.
//
// The state is a function of the sequence of values held, never of how it arrived: the values
// are cut into canonical blocks (chunk-aligned: as many whole chunks as fit kMomentsBlock, or
// kMomentsBlock-value pieces of each chunk when chunks are longer), each block's Moments are
// computed from all of its values at once, and the blocks are merged in order. Chunk means are
// exact sums divided by chunk_size, rounded once. So adding values one by one, in any batches,
// or as partials computed elsewhere (Dask partitions) gives bit-identical results.
//
// Storage: the means of full chunks, the Moments of the completed blocks (merged in order into
// one as each completes), and the values of the open (last, incomplete) block: at most
// kMomentsBlock - 1 values. Nothing else is kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "hotloop/buffer.hpp"
#include "hotloop/parallel.hpp"
#include "hotloop/stats.hpp"
#include "hotloop/view.hpp"

namespace hotloop {

// Where the canonical blocks of a processor with this chunk size end.
class BlockGrid {
public:
    explicit BlockGrid(uint64_t chunk_size);
    uint64_t chunk_size() const noexcept { return chunk_; }
    // Positions repeat their block layout with this period (the block size, or the chunk size
    // when chunks are longer than a block).
    uint64_t period() const noexcept { return small_ ? block_ : chunk_; }
    // The end of the block containing position pos (positions count from the first value held).
    uint64_t block_end(uint64_t pos) const noexcept;
    uint64_t block_start(uint64_t pos) const noexcept;
    // Whether the block ending at `end` is the last block of its chunk.
    bool ends_chunk(uint64_t end) const noexcept { return end % chunk_ == 0; }

private:
    uint64_t chunk_, block_;
    bool small_;  // chunk_size <= kMomentsBlock: blocks of whole chunks
};

class DataProcessor {
public:
    explicit DataProcessor(std::size_t chunk_size);  // chunk_size >= 1
    DataProcessor(const DataProcessor& other);        // a copy of other's state (locks other)
    DataProcessor& operator=(const DataProcessor&) = delete;
    ~DataProcessor();

    // Appends the view's elements in C order, converted to float64 (float64 C-contiguous views
    // are read in place; others are copied once). All or nothing.
    void add(const View& values, Control* ctl = nullptr);
    // Removes every full chunk from the front; returns their means in order (float64 buffer),
    // each the exact chunk sum divided by chunk_size, rounded once.
    Buffer process_chunks(Control* ctl = nullptr);
    // count (every value held), mean and population standard deviation (ddof 0); all zero when
    // empty. NaN propagates; infinities give std NaN, mean +-inf (NaN for both signs).
    Statistics statistics(Control* ctl = nullptr) const;
    void clear();
    std::size_t size() const;
    std::size_t chunk_size() const noexcept { return static_cast<std::size_t>(grid_.chunk_size()); }

    // The state as a versioned little-endian byte string (an HL_DTYPE_UINT8 buffer), and back.
    // from_bytes throws ErrorKind::InvalidArgument for anything not written by to_bytes.
    Buffer to_bytes() const;
    static std::unique_ptr<DataProcessor> from_bytes(const unsigned char* data, std::size_t n);

    // The work of adding `values` to a processor of this chunk size whose held values (plus
    // those of earlier partitions) number `offset`, done without the processor: a serialized
    // ChunkPartial (uint8 buffer). The values themselves are kept only where a block or chunk
    // straddles the partition's ends (at most 2 * kMomentsBlock of them).
    static Buffer partial(const View& values, std::size_t chunk_size, uint64_t offset,
                          Control* ctl = nullptr);
    // Adds serialized partials in order: the state becomes that of one add() of their values.
    // All or nothing; ErrorKind::InvalidArgument for a foreign record, another chunk size, or
    // offsets that do not follow on from size() and from each other (modulo the block period).
    void add_partials(const unsigned char* const* partials, const std::size_t* sizes,
                      std::size_t n, Control* ctl = nullptr);

    // The storage above (means, completed blocks' Moments, the open block), defined in
    // processor.cpp with the helpers that plan and commit an add.
    struct State;

private:
    const BlockGrid grid_;
    mutable std::mutex mutex_;
    std::unique_ptr<State> state_;
};

}  // namespace hotloop
