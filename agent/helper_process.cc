#include "agent/helper_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <vector>

#include "collectors/helper.h"

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

Result<std::string> ChildHelperRunner::Run(const std::string& helper,
                                           const std::string& root) const {
  Pipe out, err;
  if (::pipe2(out.fd, O_CLOEXEC) != 0 || ::pipe2(err.fd, O_CLOEXEC) != 0) {
    return Status::FromErrno("helper " + helper + ": pipe", errno);
  }
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
  int rc = ::posix_spawn(&pid, self_.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Status::FromErrno("helper " + helper + ": cannot start " + self_, rc);
  ::close(out.fd[1]);
  ::close(err.fd[1]);
  out.fd[1] = err.fd[1] = -1;

  std::string output, errors;
  std::string failure;
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  pollfd fds[2] = {{out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0 && failure.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure = "did not finish within " + std::to_string(timeout_.count()) + " s";
      break;
    }
    int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      failure = "poll failed";
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[65536];
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        std::string& sink = i == 0 ? output : errors;
        sink.append(buf, static_cast<size_t>(got));
        if (i == 0 && output.size() > kMaxOutput) {
          failure = "printed more than " + std::to_string(kMaxOutput) + " bytes";
        }
        if (i == 1 && errors.size() > kMaxStderr) errors.erase(0, errors.size() - kMaxStderr);
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  if (!failure.empty()) ::kill(pid, SIGKILL);
  // A child that closed its output but lives on is killed at the deadline.
  int wstatus = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &wstatus, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (done == 0 && std::chrono::steady_clock::now() >= deadline && failure.empty()) {
      failure = "did not exit within " + std::to_string(timeout_.count()) + " s";
      ::kill(pid, SIGKILL);
    }
    if (done == 0) {
      pollfd none_fd{-1, 0, 0};
      ::poll(&none_fd, 0, 10);  // a short sleep without signals' help
    }
  }
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

int RunHelperCommand(const std::string& name, const std::string& root) {
#if !defined(__SANITIZE_ADDRESS__)
  // A helper that a hostile root drives into runaway allocation dies alone,
  // well before the host runs short (ASan needs its huge mappings, hence the
  // exception).
  const rlimit data{2ull << 30, 2ull << 30};
  ::setrlimit(RLIMIT_DATA, &data);
#endif
  const collectors::Helper* helper = collectors::FindHelper(name);
  if (helper == nullptr) {
    std::cerr << "shoko-agent helper: no helper named '" << name << "'\n";
    return 2;
  }
  const std::string tree = root.empty() ? "/" : root;
  auto answer = helper->run(collectors::HelperRoot{tree, tree != "/"});
  if (!answer.ok()) {
    std::cerr << answer.status().message() << "\n";
    return 1;
  }
  std::cout << *answer;
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace shoko::agent
