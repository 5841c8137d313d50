#include "file_bytes.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hotloop/error.hpp"

namespace hotloop {
namespace {

[[noreturn]] void fail_io(const std::string& what, const std::string& path, int err) {
    throw Error(ErrorKind::Io, what + " '" + path + "': " + std::strerror(err), err);
}

}  // namespace

FileReader::FileReader(const std::string& path, bool whole) : path_(path) {
    if (path.find('\0') != std::string::npos)
        fail(ErrorKind::InvalidArgument, "path contains a NUL byte");
    // Opened non-blocking, so that neither a FIFO without a writer (a blocking open() waits
    // for one) nor a pipe or terminal without data holds the call beyond a cancellation: a
    // stream is read in poll() slices with the control checked between them (read_some). A
    // FIFO is still waited for until a writer opens it and closes it, as Python's open() and
    // read() do (Linux's poll() reports no hang-up before a first writer has come and gone).
    do fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    while (fd_ < 0 && errno == EINTR);
    if (fd_ < 0) fail_io("cannot open", path, errno);
    try {
        struct stat st;
        if (::fstat(fd_, &st) != 0) fail_io("cannot stat", path, errno);
        if (S_ISDIR(st.st_mode)) fail_io("cannot read", path, EISDIR);
        // A regular file of size 0 may be a /proc or sysfs file whose size is not known: a
        // stream.
        regular_ = !whole && S_ISREG(st.st_mode) && st.st_size > 0;
        if (regular_) {
            // Blocking again: pread() of a regular file never waits on a peer, and O_NONBLOCK
            // would only add EAGAIN where a file system honours it (mandatory locks).
            const int flags = ::fcntl(fd_, F_GETFL);
            if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK) != 0)
                fail_io("cannot read", path, errno);
            size_ = static_cast<uint64_t>(st.st_size);
        }
    } catch (...) {
        ::close(fd_);
        throw;
    }
}

std::size_t FileReader::read_some(uint8_t* to, std::size_t n, const Control* ctl) {
    for (;;) {
        if (ctl) ctl->check();
        // Read only once poll() says so: a FIFO without a writer reads as end of file.
        pollfd ready{fd_, POLLIN, 0};
        const int events = ::poll(&ready, 1, kPollMs);
        if (events < 0 && errno != EINTR) fail_io("cannot poll", path_, errno);
        if (events <= 0) continue;
        const ssize_t got = ::read(fd_, to, n);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
            fail_io("cannot read", path_, errno);
        }
        return static_cast<std::size_t>(got);
    }
}

FileReader::~FileReader() {
    if (fd_ >= 0) ::close(fd_);
}

void FileReader::read(uint64_t pos, std::size_t n, ByteBuffer& out) const {
    if (pos >= size_) {
        out.clear();
        return;
    }
    if (n > size_ - pos) n = static_cast<std::size_t>(size_ - pos);
    out.resize(n);
    if (!regular_) {
        std::memcpy(out.data(), held_.data() + pos, n);
        return;
    }
    std::size_t done = 0;
    while (done < n) {
        const ssize_t got = ::pread(fd_, out.data() + done, n - done,
                                    static_cast<off_t>(pos + done));
        if (got < 0) {
            if (errno == EINTR) continue;
            fail_io("cannot read", path_, errno);
        }
        if (got == 0) {
            FileChanged changed;
            struct stat st;
            changed.size_lies =
                ::fstat(fd_, &st) == 0 && static_cast<uint64_t>(st.st_size) == size_;
            throw changed;
        }
        done += static_cast<std::size_t>(got);
    }
}

}  // namespace hotloop
