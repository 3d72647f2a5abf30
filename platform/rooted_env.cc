// Linux Env: every path is resolved with openat2(RESOLVE_IN_ROOT) against a
// directory file descriptor, so the kernel itself keeps symlinks, ".." and
// absolute link targets inside the root (Linux 5.6+).
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "platform/env.h"

namespace shoko::platform {
namespace {

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

FileInfo ToFileInfo(const struct stat& st) {
  FileInfo info;
  if (S_ISREG(st.st_mode)) {
    info.type = FileInfo::Type::kRegular;
  } else if (S_ISDIR(st.st_mode)) {
    info.type = FileInfo::Type::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    info.type = FileInfo::Type::kSymlink;
  }
  info.size = static_cast<uint64_t>(st.st_size);
  info.mode = st.st_mode & 07777;
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  info.mtime_us = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
  return info;
}

class RootedEnv final : public Env {
 public:
  RootedEnv(std::string root, int root_fd) : root_(std::move(root)), root_fd_(root_fd) {}

  Result<std::string> ReadFile(std::string_view path, size_t max_bytes) const override {
    auto fd = Open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
    if (!fd.ok()) return fd.status();
    Fd file(fd.value());
    struct stat st {};
    if (::fstat(file.get(), &st) != 0) return Status::FromErrno("stat " + Describe(path), errno);
    if (!S_ISREG(st.st_mode)) {
      return Status::InvalidArgument(Describe(path) + ": not a regular file");
    }
    std::string data;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(file.get(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno("read " + Describe(path), errno);
      }
      if (n == 0) break;
      if (data.size() + static_cast<size_t>(n) > max_bytes) {
        return Status::InvalidArgument(Describe(path) + ": larger than " +
                                       std::to_string(max_bytes) + " bytes");
      }
      data.append(buf, static_cast<size_t>(n));
    }
    return data;
  }

  Result<std::vector<std::string>> ListDir(std::string_view path) const override {
    auto fd = Open(path, O_RDONLY | O_DIRECTORY, 0);
    if (!fd.ok()) return fd.status();
    DIR* dir = ::fdopendir(fd.value());
    if (dir == nullptr) {
      int err = errno;
      ::close(fd.value());
      return Status::FromErrno("opendir " + Describe(path), err);
    }
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* entry = ::readdir(dir)) {
      std::string_view name = entry->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) return Status::FromErrno("readdir " + Describe(path), err);
    std::sort(names.begin(), names.end());
    return names;
  }

  Result<FileInfo> Stat(std::string_view path, bool follow) const override {
    auto fd = Open(path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
    if (!fd.ok()) return fd.status();
    Fd file(fd.value());
    struct stat st {};
    if (::fstatat(file.get(), "", &st, AT_EMPTY_PATH) != 0) {
      return Status::FromErrno("stat " + Describe(path), errno);
    }
    return ToFileInfo(st);
  }

  Result<std::string> ReadLink(std::string_view path) const override {
    auto fd = Open(path, O_PATH | O_NOFOLLOW, 0);
    if (!fd.ok()) return fd.status();
    Fd file(fd.value());
    char buf[4096];
    ssize_t n = ::readlinkat(file.get(), "", buf, sizeof buf);
    if (n < 0) return Status::FromErrno("readlink " + Describe(path), errno);
    if (static_cast<size_t>(n) == sizeof buf) {
      return Status::InvalidArgument(Describe(path) + ": link target too long");
    }
    return std::string(buf, static_cast<size_t>(n));
  }

  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  std::string Describe(std::string_view path) const override {
    if (IsHostRoot()) return std::string(path);
    return std::string(path) + " (in root " + root_ + ")";
  }

  bool IsHostRoot() const override { return root_ == "/"; }
  const std::string& RootDir() const override { return root_; }

  ~RootedEnv() override { ::close(root_fd_); }

 private:
  Result<int> Open(std::string_view path, uint64_t flags, uint64_t mode) const {
    if (path.empty() || path.front() != '/') {
      return Status::InvalidArgument("host path must be absolute: '" + std::string(path) + "'");
    }
    if (path.find('\0') != std::string_view::npos) {
      return Status::InvalidArgument("host path contains a NUL byte");
    }
    std::string p(path);
    struct open_how how {};
    how.flags = flags | O_CLOEXEC;
    how.mode = mode;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    for (;;) {
      long fd = ::syscall(SYS_openat2, root_fd_, p.c_str(), &how, sizeof how);
      if (fd >= 0) return static_cast<int>(fd);
      if (errno == EINTR || errno == EAGAIN) continue;  // EAGAIN: racing rename, retry
      if (errno == ENOSYS) {
        return Status::NotSupported("openat2 is not available: shoko needs Linux 5.6 or newer");
      }
      return Status::FromErrno(Describe(path), errno);
    }
  }

  const std::string root_;
  const int root_fd_;
};

}  // namespace

Result<std::unique_ptr<Env>> NewRootedEnv(const std::string& root) {
  if (root.empty()) return Status::InvalidArgument("root directory: empty path");
  std::string normalized = root;
  while (normalized.size() > 1 && normalized.back() == '/') normalized.pop_back();
  Fd fd(::open(normalized.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno("root directory " + normalized, errno);
  // O_PATH does not check read permission; check it now so the error names the root.
  if (::faccessat(fd.get(), ".", R_OK | X_OK, AT_EACCESS) != 0) {
    return Status::FromErrno("root directory " + normalized, errno);
  }
  // Absolute, so that readers handed RootDir() (libapt-pkg) resolve it alike
  // from any working directory.
  if (normalized[0] != '/') {
    char* real = ::realpath(normalized.c_str(), nullptr);
    if (real == nullptr) return Status::FromErrno("root directory " + normalized, errno);
    normalized = real;
    ::free(real);
  }
  return std::unique_ptr<Env>(new RootedEnv(normalized, fd.release()));
}

Result<std::vector<std::string>> Glob(const Env& env, std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') {
    return Status::InvalidArgument("glob pattern must be absolute: '" + std::string(pattern) + "'");
  }
  // Expand one path component at a time, listing directories only where a
  // component holds a wildcard.
  std::vector<std::string> prefixes = {""};
  size_t pos = 1;
  while (pos <= pattern.size()) {
    size_t end = pattern.find('/', pos);
    if (end == std::string_view::npos) end = pattern.size();
    std::string component(pattern.substr(pos, end - pos));
    pos = end + 1;
    if (component.empty()) continue;
    bool last = end == pattern.size();
    std::vector<std::string> next;
    bool wild = component.find_first_of("*?[") != std::string::npos;
    for (const std::string& prefix : prefixes) {
      if (!wild) {
        next.push_back(prefix + "/" + component);
        continue;
      }
      auto names = env.ListDir(prefix.empty() ? "/" : prefix);
      if (!names.ok()) continue;  // glob(3) skips unreadable directories too
      for (const std::string& name : *names) {
        if (name[0] == '.' && component[0] != '.') continue;
        if (::fnmatch(component.c_str(), name.c_str(), FNM_PERIOD) == 0) {
          next.push_back(prefix + "/" + name);
        }
      }
    }
    prefixes = std::move(next);
    if (!last) {
      // Intermediate components must be directories.
      std::erase_if(prefixes, [&](const std::string& p) {
        auto info = env.Stat(p);
        return !info.ok() || info->type != FileInfo::Type::kDirectory;
      });
    }
  }
  std::erase_if(prefixes, [&](const std::string& p) { return !env.Stat(p, false).ok(); });
  std::sort(prefixes.begin(), prefixes.end());
  return prefixes;
}

}  // namespace shoko::platform
