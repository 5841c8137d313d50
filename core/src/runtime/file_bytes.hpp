// Reading a file's bytes without mmap: a file that another process truncates while we read it
// must never raise SIGBUS (which would kill the interpreter), so regular files are read with
// pread() into the caller's buffers, and a read that comes up short reports FileChanged.
// Pipes, character devices and /proc files (whose size is unknown) are read sequentially into
// memory once. Internal to the engine.
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
    // Keeps the first min(size(), n) bytes; the others are uninitialised.
    void resize(std::size_t n) {
        if (n > capacity_) {
            std::size_t cap = capacity_ ? capacity_ : 4096;
            while (cap < n) cap *= 2;
            std::unique_ptr<uint8_t, Release> more(static_cast<uint8_t*>(allocate_aligned(cap)),
                                                   Release{cap});
            if (size_) std::memcpy(more.get(), data_.get(), size_);
            data_ = std::move(more);
            capacity_ = cap;
        }
        size_ = n;
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
    // path. `ctl` is checked while a non-regular file is read. `whole`: read even a regular
    // file whole, as a non-regular one (its size was found not to be its contents').
    explicit FileReader(const std::string& path, Control* ctl = nullptr, bool whole = false);
    ~FileReader();
    FileReader(const FileReader&) = delete;
    FileReader& operator=(const FileReader&) = delete;

    // The size at open (regular files) or of what was read (others).
    uint64_t size() const noexcept { return size_; }
    // Non-regular files: their whole contents; regular files: null.
    const uint8_t* contents() const noexcept { return regular_ ? nullptr : read_.data(); }
    // Reads bytes [pos, pos + n) (clipped to size()) into out[0..]; out is resized to fit.
    // Safe from several threads at once. Throws FileChanged if the file ended early.
    void read(uint64_t pos, std::size_t n, ByteBuffer& out) const;
    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
    int fd_ = -1;
    bool regular_ = false;
    uint64_t size_ = 0;
    std::vector<uint8_t> read_;  // non-regular files: everything read
};

}  // namespace hotloop
