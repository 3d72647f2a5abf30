#include "agent/helper_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

extern char** environ;

namespace shoko::agent {
namespace {

constexpr size_t kMaxOutput = 64u << 20;
constexpr size_t kMaxStderr = 64u << 10;

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
};

std::string LastLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

}  // namespace

namespace {

// Starts `self helper NAME --root ROOT` with stdout and stderr on the pipes.
Result<pid_t> Spawn(const std::string& self, const std::string& helper, const std::string& root,
                    Pipe& out, Pipe& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  std::vector<std::string> args = {"shoko-agent", "helper", helper, "--root", root};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The daemon blocks SIGTERM and friends to wait for them; the helper must
  // not inherit that, or stopping the service could not stop it.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, self.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Status::FromErrno("helper " + helper + ": cannot start " + self, rc);
  ::close(out.fd[1]);
  ::close(err.fd[1]);
  out.fd[1] = err.fd[1] = -1;
  return pid;
}

// Reads the child's stdout and stderr until both close; returns what went
// wrong (empty: nothing): the deadline passed, or too much output.
std::string ReadOutputs(Pipe& out, Pipe& err, std::chrono::steady_clock::time_point deadline,
                        std::chrono::seconds timeout, std::string* output, std::string* errors) {
  pollfd fds[2] = {{out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return "did not finish within " + std::to_string(timeout.count()) + " s";
    int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return "poll failed";
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[65536];
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        std::string& sink = i == 0 ? *output : *errors;
        sink.append(buf, static_cast<size_t>(got));
        if (i == 0 && output->size() > kMaxOutput) {
          return "printed more than " + std::to_string(kMaxOutput) + " bytes";
        }
        if (i == 1 && errors->size() > kMaxStderr) errors->erase(0, errors->size() - kMaxStderr);
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  return "";
}

// Waits for the child; one that closed its output but lives on is killed at
// the deadline (and `failure` says so). Returns its wait status.
int Reap(pid_t pid, std::chrono::steady_clock::time_point deadline, std::chrono::seconds timeout,
         std::string* failure) {
  if (!failure->empty()) ::kill(pid, SIGKILL);
  int wstatus = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &wstatus, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) return wstatus;
    if (done == 0 && std::chrono::steady_clock::now() >= deadline && failure->empty()) {
      *failure = "did not exit within " + std::to_string(timeout.count()) + " s";
      ::kill(pid, SIGKILL);
    }
    if (done == 0) {
      pollfd none_fd{-1, 0, 0};
      ::poll(&none_fd, 0, 10);  // a short sleep without signals' help
    }
  }
}

}  // namespace

Result<std::string> ChildHelperRunner::Run(const std::string& helper,
                                           const std::string& root) const {
  Pipe out, err;
  if (::pipe2(out.fd, O_CLOEXEC) != 0 || ::pipe2(err.fd, O_CLOEXEC) != 0) {
    return Status::FromErrno("helper " + helper + ": pipe", errno);
  }
  SHOKO_ASSIGN_OR_RETURN(const pid_t pid, Spawn(self_, helper, root, out, err));
  std::string output, errors;
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  std::string failure = ReadOutputs(out, err, deadline, timeout_, &output, &errors);
  const int wstatus = Reap(pid, deadline, timeout_, &failure);
  const std::string what = "helper " + helper + " (" + self_ + ")";
  if (!failure.empty()) return Status::Unavailable(what + " " + failure + "; killed");
  if (WIFSIGNALED(wstatus)) {
    return Status::Internal(what + " died of signal " + std::to_string(WTERMSIG(wstatus)) +
                            (errors.empty() ? "" : ": " + LastLine(errors)));
  }
  if (WEXITSTATUS(wstatus) != 0) {
    return Status::Unavailable(errors.empty()
                                   ? what + " exited with " + std::to_string(WEXITSTATUS(wstatus))
                                   : LastLine(errors));
  }
  return output;
}

}  // namespace shoko::agent
