// What a shokoctl command printed, for its tests: every Run* function takes a
// request and two streams and returns the exit code.
#ifndef SHOKO_TESTS_CLI_CAPTURED_H_
#define SHOKO_TESTS_CLI_CAPTURED_H_

#include <sstream>
#include <string>

namespace shoko::cli::testing {

struct Captured {
  std::string out, err;

  // Runs `run(request, out, err)`, keeping what it printed; its exit code.
  template <typename Command, typename Request>
  int Run(Command run, const Request& request) {
    std::ostringstream o, e;
    const int code = run(request, o, e);
    out = o.str();
    err = e.str();
    return code;
  }
  bool Says(const std::string& text) const { return out.find(text) != std::string::npos; }
};

}  // namespace shoko::cli::testing

#endif  // SHOKO_TESTS_CLI_CAPTURED_H_
