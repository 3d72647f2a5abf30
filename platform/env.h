// platform::Env: the only door from shoko's collectors to the host.
//
// Collectors never open files themselves. They ask an Env, which resolves every
// absolute host path ("/etc/ssh/sshd_config") inside a root directory: "/" on a
// real host, a fixture tree in tests, a mounted image for offline collection.
// Symlinks and ".." are resolved as if the root were "/", so nothing a host file
// points at can lead a read out of the root.
//
// All methods are safe to call from several threads at once.
#ifndef SHOKO_PLATFORM_ENV_H_
#define SHOKO_PLATFORM_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace shoko::platform {

// What lstat/stat says about a path. Times are microseconds since the Unix epoch.
struct FileInfo {
  enum class Type { kRegular, kDirectory, kSymlink, kOther };
  Type type = Type::kOther;
  uint64_t size = 0;
  uint32_t mode = 0;  // permission bits and set-id/sticky bits (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_us = 0;
};

class Env {
 public:
  // Host files larger than this are refused unless a caller asks for more.
  static constexpr size_t kDefaultMaxFileBytes = 16 << 20;

  virtual ~Env() = default;

  // The whole content of the regular file at absolute host path `path`.
  // NotFound when it does not exist; InvalidArgument when it is not a regular
  // file or is larger than `max_bytes`; PermissionDenied when unreadable.
  virtual Result<std::string> ReadFile(std::string_view path,
                                       size_t max_bytes = kDefaultMaxFileBytes) const = 0;

  // The names in a directory, sorted, without "." and "..".
  virtual Result<std::vector<std::string>> ListDir(std::string_view path) const = 0;

  // Metadata of `path`, following symlinks (inside the root) when `follow` is set.
  virtual Result<FileInfo> Stat(std::string_view path, bool follow = true) const = 0;

  // The target of the symlink at `path`, as stored (not resolved).
  virtual Result<std::string> ReadLink(std::string_view path) const = 0;

  // Wall-clock time, microseconds since the Unix epoch.
  virtual int64_t NowMicros() const = 0;

  // How `path` is named in messages: the host path, and the real location when
  // the root is not "/", e.g. "/etc/ssh/sshd_config (in root /srv/img)".
  virtual std::string Describe(std::string_view path) const = 0;

  // True when the root is the real "/": live files such as /proc describe this host.
  virtual bool IsHostRoot() const = 0;

  // The directory this Env is rooted at ("/" for the host), for the few readers
  // that must be handed a path rather than file contents (libapt-pkg).
  virtual const std::string& RootDir() const = 0;
};

// An Env for the real operating system rooted at `root` (a directory). Fails
// with a message naming `root` when it is missing, not a directory or unreadable.
Result<std::unique_ptr<Env>> NewRootedEnv(const std::string& root);

// Files matching `pattern` (absolute, glob(7) wildcards in any component),
// sorted as glob(3) sorts them; none is not an error.
Result<std::vector<std::string>> Glob(const Env& env, std::string_view pattern);

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_ENV_H_
