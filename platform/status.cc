#include "platform/status.h"

#include <cerrno>
#include <cstring>

namespace shoko {

Status Status::FromErrno(std::string_view what, int err) {
  std::string msg = std::string(what) + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return NotFound(std::move(msg));
    case EACCES:
    case EPERM:
      return PermissionDenied(std::move(msg));
    case EXDEV:  // openat2 RESOLVE_IN_ROOT refused to leave the root
    case ELOOP:
    case EISDIR:
    case EINVAL:
    case ENAMETOOLONG:
      return InvalidArgument(std::move(msg));
    default:
      return IOError(std::move(msg));
  }
}

std::string Status::ToString() const {
  const char* kind = "";
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      kind = "not found";
      break;
    case Code::kInvalidArgument:
      kind = "invalid";
      break;
    case Code::kCorruption:
      kind = "corruption";
      break;
    case Code::kIOError:
      kind = "I/O error";
      break;
    case Code::kPermissionDenied:
      kind = "permission denied";
      break;
    case Code::kUnavailable:
      kind = "unavailable";
      break;
    case Code::kNotSupported:
      kind = "not supported";
      break;
    case Code::kInternal:
      kind = "internal error";
      break;
  }
  return std::string(kind) + ": " + message_;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

Status Status::WithNote(std::string_view note) const {
  if (ok()) return *this;
  return Status(code_, message_ + " (" + std::string(note) + ")");
}

}  // namespace shoko
