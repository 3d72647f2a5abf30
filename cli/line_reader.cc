#include "cli/line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shoko::cli {
namespace {
constexpr size_t kBufferBytes = 1 << 16;
}  // namespace

Result<LineReader> LineReader::Open(const std::string& path, size_t max_line_bytes) {
  // O_NONBLOCK: a FIFO named as a file must not hang us before fstat shows
  // it is not a regular file.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return Status::FromErrno(path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + ": not a regular file");
  }
  return LineReader(fd, path, max_line_bytes);
}

LineReader::LineReader(int fd, std::string path, size_t max_line_bytes)
    : fd_(fd),
      path_(std::move(path)),
      max_line_bytes_(max_line_bytes),
      buffer_(new char[kBufferBytes]) {}

LineReader::LineReader(LineReader&& other) noexcept
    : fd_(other.fd_),
      path_(std::move(other.path_)),
      max_line_bytes_(other.max_line_bytes_),
      buffer_(std::move(other.buffer_)),
      pos_(other.pos_),
      end_(other.end_),
      number_(other.number_) {
  other.fd_ = -1;
}

LineReader::~LineReader() {
  if (fd_ >= 0) ::close(fd_);
}

Result<bool> LineReader::Fill() {
  for (;;) {
    ssize_t n = ::read(fd_, buffer_.get(), kBufferBytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("read " + path_, errno);
    pos_ = 0;
    end_ = static_cast<size_t>(n);
    return n > 0;
  }
}

Result<bool> LineReader::Next(Line* line) {
  line->text.clear();
  line->overlong = false;
  bool started = false;
  for (;;) {
    if (pos_ == end_) {
      SHOKO_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) {
        // The last line may lack its newline.
        if (started) line->number = ++number_;
        return started;
      }
    }
    started = true;
    const char* from = buffer_.get() + pos_;
    const void* newline = std::memchr(from, '\n', end_ - pos_);
    const size_t take =
        newline ? static_cast<size_t>(static_cast<const char*>(newline) - from) : end_ - pos_;
    if (!line->overlong && line->text.size() + take > max_line_bytes_) {
      line->overlong = true;
      std::string().swap(line->text);  // give the memory back, too
    }
    if (!line->overlong) line->text.append(from, take);
    pos_ += take;
    if (newline) {
      ++pos_;
      line->number = ++number_;
      return true;
    }
  }
}

}  // namespace shoko::cli
