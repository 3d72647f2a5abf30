// Real shoko processes for the integration tests, on loopback only.
#ifndef SHOKO_TESTS_INTEGRATION_PROCESSES_H_
#define SHOKO_TESTS_INTEGRATION_PROCESSES_H_

#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko {

inline constexpr auto kStartTimeout = std::chrono::seconds(30);

// A shoko-store process serving `db` (by default a SQLite file in `dir`):
// plaintext on loopback, or with `tls_args` (--tls-cert … --tls-ca …) instead.
class StoreProcess {
 public:
  // With `watch_log`, the store's log (stderr) is what WaitForLog reads, and
  // its stdout goes to the file Log() shows.
  explicit StoreProcess(const testing::TempDir& dir, const std::string& listen = "127.0.0.1:0",
                        std::vector<std::string> tls_args = {}, bool watch_log = false,
                        const std::string& db = "")
      : stderr_path_(dir.Path("store.err")) {
    std::vector<std::string> argv = {SHOKO_STORE_BIN, "serve",
                                     "--listen",      listen,
                                     "--db",          db.empty() ? dir.Path("store/store.db") : db};
    if (tls_args.empty()) tls_args = {"--insecure-loopback"};
    argv.insert(argv.end(), tls_args.begin(), tls_args.end());
    auto proc = testing::Subprocess::Start(
        argv, stderr_path_,
        watch_log ? testing::Subprocess::Watch::kStderr : testing::Subprocess::Watch::kStdout);
    EXPECT_TRUE(proc.ok()) << proc.status().ToString();
    proc_ = std::move(proc).value();
    if (watch_log) {
      // "shoko-store: serving DB on HOST:PORT (…)"
      auto line = proc_->WaitForLine("shoko-store: serving ", kStartTimeout);
      EXPECT_TRUE(line.ok()) << line.status().ToString();
      if (line.ok()) {
        size_t on = line->rfind(" on ");
        address_ = line->substr(on + 4, line->find(' ', on + 4) - on - 4);
      }
      return;
    }
    auto line = proc_->WaitForLine("listening on ", kStartTimeout);
    EXPECT_TRUE(line.ok()) << line.status().ToString() << "\n"
                           << testing::ReadFileOrEmpty(stderr_path_);
    if (line.ok()) address_ = line->substr(std::string("listening on ").size());
  }
  // With watch_log: waits for a log line starting with `prefix`.
  bool WaitForLog(const std::string& prefix) {
    return proc_->WaitForLine(prefix, kStartTimeout).ok();
  }
  const std::string& address() const { return address_; }
  int Stop() {
    auto code = proc_->Stop(SIGTERM, std::chrono::seconds(30));
    EXPECT_TRUE(code.ok()) << code.status().ToString();
    return code.ok() ? *code : -1;
  }
  std::string Log() const { return testing::ReadFileOrEmpty(stderr_path_); }

 private:
  std::string stderr_path_;
  std::unique_ptr<testing::Subprocess> proc_;
  std::string address_;
};

// An agent config for a plaintext loopback store.
// What access.sshd records each sweep: its observation and one rule record
// per baseline question.
constexpr size_t kSshdRecords = 15;

inline std::string AgentConfig(const testing::TempDir& dir, const std::string& store,
                               const std::string& root) {
  return dir.Write("agent.yaml", "state_dir: " + dir.Path("agent-state") +
                                     "\ncollectors: [access.sshd]\nroot: " + root +
                                     "\nstore:\n  address: " + store +
                                     "\n  insecure_loopback: true\n  connect_timeout: 2s\n"
                                     "labels:\n  service: demo-service\n");
}

inline std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

inline int Lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

// An address where nothing listens: a store's, after it stopped.
inline std::string DeadAddress() {
  testing::TempDir scratch;
  StoreProcess gone(scratch);
  std::string address = gone.address();
  EXPECT_EQ(gone.Stop(), 0);
  return address;
}

}  // namespace shoko

#endif  // SHOKO_TESTS_INTEGRATION_PROCESSES_H_
