#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

extern char** environ;

namespace shoko::testing {
namespace {

using Clock = std::chrono::steady_clock;

int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

std::vector<char*> CArgs(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  return args;
}

// Blocks until the child behind `pidfd` exits or the deadline passes; reaps it.
Result<int> WaitExit(pid_t pid, int pidfd, Clock::time_point deadline) {
  pollfd p{pidfd, POLLIN, 0};
  int rc = ::poll(&p, 1, MillisLeft(deadline));
  if (rc == 0) return Status::Unavailable("child " + std::to_string(pid) + " did not exit in time");
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return Status::FromErrno("waitpid", errno);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  CommandResult result;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // Nothing under test reads a terminal; an empty stdin also ends tools such
  // as `openssl s_client` right after their handshake.
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  pid_t pid = 0;
  auto args = CArgs(argv);
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    result.err = "cannot start " + argv[0];
    return result;
  }
  const auto deadline = Clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    int n = ::poll(fds, 2, MillisLeft(deadline));
    if (n == 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[8192];
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(got));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

Result<std::unique_ptr<Subprocess>> Subprocess::Start(const std::vector<std::string>& argv,
                                                      const std::string& log_path, Watch watch) {
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Status::FromErrno("pipe", errno);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const int watched = watch == Watch::kStdout ? 1 : 2;
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], watched);
  posix_spawn_file_actions_addopen(&actions, 3 - watched, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid = 0;
  auto args = CArgs(argv);
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    return Status::FromErrno("spawn " + argv[0], rc);
  }
  int pidfd = PidfdOpen(pid);
  if (pidfd < 0) {
    int err = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ::close(out_pipe[0]);
    return Status::FromErrno("pidfd_open", err);
  }
  return std::unique_ptr<Subprocess>(new Subprocess(pid, pidfd, out_pipe[0]));
}

Subprocess::~Subprocess() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ::close(pidfd_);
  ::close(out_fd_);
}

Result<std::string> Subprocess::WaitForLine(const std::string& prefix,
                                            std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    size_t nl;
    while ((nl = buffered_.find('\n')) != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      if (line.rfind(prefix, 0) == 0) return line;
    }
    pollfd p{out_fd_, POLLIN, 0};
    int n = ::poll(&p, 1, MillisLeft(deadline));
    if (n == 0) return Status::Unavailable("no line starting with '" + prefix + "' in time");
    if (n < 0 && errno == EINTR) continue;
    char buf[4096];
    ssize_t got = ::read(out_fd_, buf, sizeof buf);
    if (got <= 0) return Status::Unavailable("child closed its output before '" + prefix + "'");
    buffered_.append(buf, static_cast<size_t>(got));
  }
}

Result<int> Subprocess::Stop(int sig, std::chrono::milliseconds timeout) {
  if (reaped_) return Status::InvalidArgument("already stopped");
  ::kill(pid_, sig);
  auto code = WaitExit(pid_, pidfd_, Clock::now() + timeout);
  if (code.ok()) reaped_ = true;
  return code;
}

}  // namespace shoko::testing
