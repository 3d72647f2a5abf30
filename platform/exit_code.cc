#include "platform/exit_code.h"

namespace shoko {

ExitCode ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk:
      return kExitOk;
    case Status::Code::kCorruption:
      return kExitProblems;
    case Status::Code::kInvalidArgument:
    case Status::Code::kNotFound:
    case Status::Code::kPermissionDenied:
    case Status::Code::kNotSupported:
      return kExitUsage;
    case Status::Code::kUnavailable:
      return kExitUnreachable;
    case Status::Code::kIOError:
    case Status::Code::kInternal:
      return kExitInternal;
  }
  return kExitInternal;
}

}  // namespace shoko
