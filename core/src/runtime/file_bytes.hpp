// Reading a file's bytes without mmap: a file that another process truncates while we read it
// must never raise SIGBUS (which would kill the interpreter), so regular files are read with
// pread() into the caller's buffers, and a read that comes up short reports FileChanged.
// Pipes, character devices and /proc files (whose size is unknown) are streams: read once, in
// order, in pieces the caller asks for (read_some), never whole at once (/dev/zero never ends).
// Internal to the engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "hotloop/parallel.hpp"
#include "memory.hpp"

namespace hotloop {

// A byte buffer that grows without zero-filling (a window is overwritten right after).
class ByteBuffer {
public:
    uint8_t* data() noexcept { return data_.get(); }
    const uint8_t* data() const noexcept { return data_.get(); }
    std::size_t size() const noexcept { return size_; }
    void clear() noexcept { size_ = 0; }
    std::size_t capacity() const noexcept { return capacity_; }
    // Keeps the first min(size(), n) bytes; the others are uninitialised.
    void resize(std::size_t n) {
        if (n > capacity_) {
            std::size_t cap = capacity_ ? capacity_ : 4096;
            while (cap < n) cap *= 2;
            reserve(cap);
        }
        size_ = n;
    }
    // Room for exactly cap bytes (if it had less), uninitialised: pages that are never written
    // are never resident.
    void reserve(std::size_t cap) {
        if (cap <= capacity_) return;
        std::unique_ptr<uint8_t, Release> more(static_cast<uint8_t*>(allocate_aligned(cap)),
                                               Release{cap});
        if (size_) std::memcpy(more.get(), data_.get(), size_);
        data_ = std::move(more);
        capacity_ = cap;
    }

private:
    // The engine's memory, not new[]'s: a window of megabytes (a long word's) gets huge pages,
    // whose faults cost half of 4 KiB ones'.
    struct Release {
        std::size_t bytes;
        void operator()(uint8_t* p) const noexcept { release_aligned(p, bytes); }
    };
    std::unique_ptr<uint8_t, Release> data_{nullptr, Release{0}};
    std::size_t size_ = 0, capacity_ = 0;
};

// Thrown by FileReader::read when the file is shorter than when it was opened. size_lies: its
// size is still the one it had at open, so that size was never its contents' (sysfs reports
// 4096 bytes for every attribute, whatever it holds): read such a file whole.
struct FileChanged : std::exception {
    bool size_lies = false;
    const char* what() const noexcept override { return "file changed while it was read"; }
};

class FileReader {
public:
    // Throws Error(Io) with errno on failure: ENOENT, EACCES, EISDIR, ... The message names the
    // path. `whole`: read even a regular file as a stream (its size was found not to be its
    // contents').
    explicit FileReader(const std::string& path, bool whole = false);
    ~FileReader();
    FileReader(const FileReader&) = delete;
    FileReader& operator=(const FileReader&) = delete;

    // Whether the file is a stream (a pipe, a device, a /proc file, or `whole`), read with
    // read_some(); else it is a regular file, read with read().
    bool stream() const noexcept { return !regular_; }
    // The size at open (regular files; 0 for streams).
    uint64_t size() const noexcept { return size_; }
    // Regular files (and streams after hold()): reads bytes [pos, pos + n) (clipped to size())
    // into out[0..]; out is resized to fit. Safe from several threads at once. Throws
    // FileChanged if a regular file ended early.
    void read(uint64_t pos, std::size_t n, ByteBuffer& out) const;
    // Streams: the next bytes, at most n, into to; 0 at the end. Waits for them (a FIFO without
    // a writer yet, a terminal) in poll() slices of kPollMs, `ctl` checked before each: a
    // cancel is seen within one slice or one read. One thread at a time.
    std::size_t read_some(uint8_t* to, std::size_t n, const Control* ctl);
    static constexpr int kPollMs = 10;
    // Streams: `bytes` (the whole stream, read with read_some) are served by read() from now
    // on, as a regular file's; size() is their length. For a byte range of a stream.
    void hold(ByteBuffer&& bytes) noexcept {
        held_ = std::move(bytes);
        size_ = held_.size();
    }
    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
    int fd_ = -1;
    bool regular_ = false;
    uint64_t size_ = 0;
    ByteBuffer held_;  // streams: what hold() was given
};

}  // namespace hotloop
