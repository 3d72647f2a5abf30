// Files that belong to shoko itself (configs, keys, state), not to the observed
// host: they are read where the config says, never under --root.
#ifndef SHOKO_PLATFORM_LOCAL_FILES_H_
#define SHOKO_PLATFORM_LOCAL_FILES_H_

#include <sys/types.h>

#include <string>

#include "platform/status.h"

namespace shoko::platform {

// The whole content of `path`; refuses anything over `max_bytes`.
Result<std::string> ReadLocalFile(const std::string& path, size_t max_bytes = 16 << 20);

// Replaces `path` with `data` so that a crash leaves either the old or the new
// content: write a temporary file with `mode`, fsync it, rename it over `path`,
// fsync the directory.
Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode);

// Creates `dir` (and missing parents) with `mode` if it does not exist.
Status MakeDirs(const std::string& dir, mode_t mode);

// An exclusive advisory lock (flock) on a file, held until destruction, so that
// two processes never share one state directory.
class FileLock {
 public:
  // Creates `path` if needed and locks it without waiting; Unavailable, naming
  // the file, when another process holds it.
  static Result<FileLock> Acquire(const std::string& path);
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_LOCAL_FILES_H_
