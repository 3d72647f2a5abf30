// One exit-code table (docs/interfaces.md, "A store's answer as an exit
// code"): the same store failure gives the same exit code from `shokoctl
// evidence`, `compliance` and `import` and from `shoko-agent run --once` —
// 3 from a store that does not answer in time, 2 from one that refuses the
// caller's credentials.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>

#include "tests/integration/processes.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko {
namespace {

using testing::CommandResult;
using testing::RunCommand;

// A loopback port that listens and never accepts: the kernel completes each
// connection and nothing ever answers, as from a store that hangs.
class HungStore {
 public:
  HungStore() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool listening = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
                           ::listen(fd_, 64) == 0 &&
                           ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    EXPECT_TRUE(listening);
    address_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  }
  ~HungStore() { ::close(fd_); }
  HungStore(const HungStore&) = delete;
  HungStore& operator=(const HungStore&) = delete;
  const std::string& address() const { return address_; }

 private:
  int fd_ = -1;
  std::string address_;
};

class ExitCodesTest : public ::testing::Test {
 protected:
  // An offline agent's signed records, for import.
  std::string OfflineRecords() {
    CommandResult r =
        RunCommand({SHOKO_AGENT_BIN, "collect", "--once", "--collector", "access.sshd", "--sign",
                    "--state-dir", dir_.Path("offline"), "--format", "dsse", "--root",
                    testing::FixturePath("sshd-defaults")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return dir_.Write("offline.jsonl", r.out);
  }

  // An agent config for `store`: plaintext, or TLS with `tls` (ca, cert, key).
  std::string AgentConfig(const std::string& name, const std::string& store,
                          const std::vector<std::string>& tls = {}) {
    std::string transport = "  insecure_loopback: true\n";
    if (!tls.empty()) {
      transport = "  ca: " + tls[0] + "\n  cert: " + tls[1] + "\n  key: " + tls[2] + "\n";
    }
    return dir_.Write(name + ".yaml",
                      "state_dir: " + dir_.Path(name) + "\ncollectors: [access.sshd]\nroot: " +
                          testing::FixturePath("sshd-defaults") + "\nstore:\n  address: " + store +
                          "\n" + transport + "  connect_timeout: 2s\n");
  }

  // The four commands against `store`, shokoctl with `credentials`; each
  // one's exit code, with its stderr on failure to match.
  std::map<std::string, CommandResult> RunAll(const std::string& store,
                                              const std::vector<std::string>& credentials,
                                              const std::string& agent_config) {
    std::map<std::string, CommandResult> results;
    const std::string records = OfflineRecords();
    for (const std::string command : {"evidence", "compliance", "import"}) {
      std::vector<std::string> argv = {SHOKOCTL_BIN, command, "--store", store};
      argv.insert(argv.end(), credentials.begin(), credentials.end());
      if (command == "import") argv.push_back(records);
      results["shokoctl " + command] = RunCommand(argv, std::chrono::seconds(90));
    }
    results["shoko-agent run --once"] = RunCommand(
        {SHOKO_AGENT_BIN, "run", "--once", "--config", agent_config}, std::chrono::seconds(90));
    return results;
  }

  testing::TempDir dir_;
};

TEST_F(ExitCodesTest, AStoreThatDoesNotAnswerInTimeIsExit3FromEveryCommand) {
  HungStore store;
  const auto results = RunAll(store.address(), {}, AgentConfig("agent", store.address()));
  ASSERT_EQ(results.size(), 4u);
  for (const auto& [command, r] : results) {
    EXPECT_EQ(r.exit_code, 3) << command << ": " << r.err;
    EXPECT_NE(r.err.find(store.address()), std::string::npos) << command << ": " << r.err;
  }
}

TEST_F(ExitCodesTest, AStoreThatRefusesTheCredentialsIsExit2FromEveryCommand) {
  const std::string pki = dir_.Path("pki");
  ASSERT_EQ(RunCommand({SHOKOCTL_BIN, "pki", "init", "--dir", pki}).exit_code, 0);
  // The certificate of an agent that is none of the ones below: it may
  // neither read evidence nor upload for another agent.
  const std::string other(64, 'a');
  for (const auto& [role, name] :
       std::vector<std::pair<std::string, std::string>>{{"store", "store1"}, {"agent", other}}) {
    CommandResult issued =
        RunCommand({SHOKOCTL_BIN, "pki", "issue", "--dir", pki, "--role", role, "--name", name});
    ASSERT_EQ(issued.exit_code, 0) << issued.err;
  }
  StoreProcess store(dir_, "127.0.0.1:0",
                     {"--tls-cert", pki + "/store1.crt", "--tls-key", pki + "/store1.key",
                      "--tls-ca", pki + "/ca.crt"});
  ASSERT_FALSE(store.address().empty());
  const std::vector<std::string> tls = {pki + "/ca.crt", pki + "/" + other + ".crt",
                                        pki + "/" + other + ".key"};
  const auto results = RunAll(store.address(), {"--ca", tls[0], "--cert", tls[1], "--key", tls[2]},
                              AgentConfig("agent", store.address(), tls));
  ASSERT_EQ(results.size(), 4u);
  for (const auto& [command, r] : results) {
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.err;
  }
  // Each was refused for who it is, by the store itself.
  EXPECT_NE(results.at("shokoctl evidence").err.find("only auditors and admins read evidence"),
            std::string::npos);
  for (const char* upload : {"shokoctl import", "shoko-agent run --once"}) {
    EXPECT_NE(results.at(upload).err.find("the certificate of agent " + other + " cannot upload"),
              std::string::npos)
        << upload << ": " << results.at(upload).err;
  }
  EXPECT_EQ(store.Stop(), 0);
}

}  // namespace
}  // namespace shoko
