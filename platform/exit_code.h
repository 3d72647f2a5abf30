// The exit codes of every shoko program, and the one table that turns a
// failed Status into one (docs/interfaces.md, "Exit codes").
#ifndef SHOKO_PLATFORM_EXIT_CODE_H_
#define SHOKO_PLATFORM_EXIT_CODE_H_

#include "platform/status.h"

namespace shoko {

enum ExitCode : int {
  kExitOk = 0,           // success (a collection that found failing checks still succeeded)
  kExitProblems = 1,     // a verification or validation found problems
  kExitUsage = 2,        // usage or configuration error, refused credentials
  kExitUnreachable = 3,  // a needed service cannot be reached or did not answer in time
  kExitInternal = 4,     // internal error (I/O on shoko's own files included)
};

// The exit code for a command that stopped on `status`: the same failure
// gives the same code from every command of every program.
//   OK → 0; Corruption → 1; InvalidArgument, NotFound, PermissionDenied,
//   NotSupported → 2; Unavailable → 3; IOError, Internal → 4.
ExitCode ExitCodeFor(const Status& status);

}  // namespace shoko

#endif  // SHOKO_PLATFORM_EXIT_CODE_H_
