// Child processes for tests: the real shoko programs, and oracles such as
// `sshd -T`. Every wait is bounded; a child still running at destruction is
// killed, so a failing test never leaves a process behind.
#ifndef SHOKO_TESTS_SUPPORT_SUBPROCESS_H_
#define SHOKO_TESTS_SUPPORT_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "platform/status.h"

namespace shoko::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs `argv` to completion (killing it after `timeout`) and captures its output.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

class Subprocess {
 public:
  enum class Watch { kStdout, kStderr };
  // Starts `argv` with the watched stream on a pipe this object reads (see
  // WaitForLine) and the other stream appended to `log_path`.
  static Result<std::unique_ptr<Subprocess>> Start(const std::vector<std::string>& argv,
                                                   const std::string& log_path,
                                                   Watch watch = Watch::kStdout);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Reads the watched stream until a line starting with `prefix` arrives;
  // returns that line.
  // Fails when the child closes stdout or `timeout` passes first.
  Result<std::string> WaitForLine(const std::string& prefix, std::chrono::milliseconds timeout);
  // Sends `sig` and waits for the exit; returns the exit code (-1 on signal).
  Result<int> Stop(int sig, std::chrono::milliseconds timeout);

 private:
  Subprocess(pid_t pid, int pidfd, int watch_fd) : pid_(pid), pidfd_(pidfd), out_fd_(watch_fd) {}
  pid_t pid_;
  int pidfd_;
  int out_fd_;
  bool reaped_ = false;
  std::string buffered_;
};

}  // namespace shoko::testing

#endif  // SHOKO_TESTS_SUPPORT_SUBPROCESS_H_
