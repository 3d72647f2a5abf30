#include "platform/exit_code.h"

#include <utility>

namespace shoko {

ExitCode ExitCodeFor(const Status& status) {
  using Code = Status::Code;
  constexpr std::pair<Code, ExitCode> kTable[] = {
      {Code::kOk, kExitOk},
      {Code::kCorruption, kExitProblems},
      {Code::kInvalidArgument, kExitUsage},
      {Code::kNotFound, kExitUsage},
      {Code::kPermissionDenied, kExitUsage},
      {Code::kNotSupported, kExitUsage},
      {Code::kUnavailable, kExitUnreachable},
      {Code::kIOError, kExitInternal},
      {Code::kInternal, kExitInternal},
  };
  for (const auto& [code, exit_code] : kTable) {
    if (code == status.code()) return exit_code;
  }
  return kExitInternal;
}

}  // namespace shoko
