// The bytes of a file, without copying them when the OS allows it: regular files are
// memory-mapped read-only; pipes, character devices and /proc files (whose size is unknown) are
// read into memory. Internal to the engine.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hotloop/parallel.hpp"

namespace hotloop {

class FileBytes {
public:
    // Throws Error(Io) with errno on failure: ENOENT, EACCES, EISDIR, ... The message names the
    // path. `ctl` is checked while a non-regular file is read.
    explicit FileBytes(const std::string& path, Control* ctl = nullptr);
    ~FileBytes();
    FileBytes(const FileBytes&) = delete;
    FileBytes& operator=(const FileBytes&) = delete;

    const char* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

private:
    const char* data_ = nullptr;
    std::size_t size_ = 0;
    void* mapping_ = nullptr;  // the mmap'd region, when there is one
    std::vector<char> read_;   // the bytes read, when the file could not be mapped
};

}  // namespace hotloop
