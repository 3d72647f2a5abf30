// Never a secret: a host root with realistic password hashes, private keys,
// key comments and a token in a forced command, the whole access family and
// every other collector run over it — offline, and through a real store and
// shokoctl — and no 8-byte piece of any secret anywhere in what comes out.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/integration/processes.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko {
namespace {

using testing::CommandResult;
using testing::FixturePath;
using testing::RunCommand;
using testing::TempDir;

std::string Slurp(const std::string& path) { return testing::ReadFileOrEmpty(path); }

// The secrets the root holds: each shadow hash, each private key's body, each
// public key and its comment, and the forced command's token.
std::vector<std::string> SecretsOf(const std::string& root) {
  std::vector<std::string> secrets;
  std::istringstream shadow(Slurp(root + "/etc/shadow"));
  for (std::string line; std::getline(shadow, line);) {
    std::string hash = line.substr(line.find(':') + 1);
    hash = hash.substr(0, hash.find(':'));
    while (!hash.empty() && hash[0] == '!') hash.erase(0, 1);
    if (hash.size() > 8) secrets.push_back(hash);
  }
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const std::string text = Slurp(e.path());
    if (text.find("PRIVATE KEY-----") != std::string::npos) {
      std::istringstream lines(text);
      for (std::string l; std::getline(lines, l);) {
        if (l.find("-----") == std::string::npos && l.size() > 8) secrets.push_back(l);
      }
    }
    if (e.path().filename().string().starts_with("authorized_keys") ||
        e.path().parent_path().filename() == "authorized_keys") {
      std::istringstream lines(text);
      for (std::string l; std::getline(lines, l);) {
        // "[options] type base64 comment": the base64 and the comment.
        for (const char* type : {"ssh-ed25519 ", "ssh-rsa ", "ssh-dss ", "ecdsa-sha2-nistp256 ",
                                 "ecdsa-sha2-nistp384 "}) {
          const size_t at = l.find(type);
          if (at == std::string::npos) continue;
          std::istringstream words(l.substr(at + std::strlen(type)));
          std::string blob, comment;
          words >> blob;
          std::getline(words, comment);
          secrets.push_back(blob);
          if (comment.size() > 1) secrets.push_back(comment.substr(1));
        }
      }
    }
  }
  secrets.push_back("not-a-real-token");
  return secrets;
}

// The first 8-byte piece of a secret found in `out`, or "".
std::string Leak(const std::string& out, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    for (size_t i = 0; i + 8 <= s.size(); ++i) {
      if (out.find(s.substr(i, 8)) != std::string::npos) return s.substr(i, 8) + " of " + s;
    }
  }
  return "";
}

TEST(NoSecretsTest, NothingSecretLeavesTheHost) {
  TempDir dir;
  const std::string root = dir.Path("root");
  std::filesystem::copy(FixturePath("debian12-accounts"), root,
                        std::filesystem::copy_options::recursive);
  // Private keys, as a host has them: its own host keys and a user's key.
  for (const auto& [type, path] : std::vector<std::pair<std::string, std::string>>{
           {"ed25519", "/etc/ssh/ssh_host_ed25519_key"},
           {"rsa", "/etc/ssh/ssh_host_rsa_key"},
           {"ecdsa", "/home/alice/.ssh/id_ecdsa"}}) {
    CommandResult k = RunCommand({"ssh-keygen", "-q", "-t", type, "-N", "", "-C",
                                  "secret-comment-" + type, "-f", root + path});
    ASSERT_EQ(k.exit_code, 0) << k.err;
  }
  // The user's public key is authorized too, comment and all.
  std::ofstream(root + "/home/alice/.ssh/authorized_keys", std::ios::app)
      << Slurp(root + "/home/alice/.ssh/id_ecdsa.pub");
  const std::vector<std::string> secrets = SecretsOf(root);
  ASSERT_GE(secrets.size(), 20u);
  // Not vacuous: every secret is in the input.
  std::string input;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) input += Slurp(e.path());
  }
  for (const std::string& s : secrets) EXPECT_NE(input.find(s), std::string::npos) << s;

  // Offline: every collector, as JSON lines, and its log on stderr.
  CommandResult all = RunCommand({SHOKO_AGENT_BIN, "collect", "--once", "--root", root});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("access.ssh_keys"), std::string::npos);
  EXPECT_NE(all.out.find("access.accounts.empty_password"), std::string::npos);
  EXPECT_EQ(Leak(all.out + all.err, secrets), "");
  CommandResult table =
      RunCommand({SHOKO_AGENT_BIN, "collect", "--once", "--root", root, "--format", "table"});
  EXPECT_EQ(Leak(table.out + table.err, secrets), "");

  // Through a store: what it logs and what an auditor reads back.
  StoreProcess store(dir);
  const std::string config = dir.Write(
      "agent.yaml", "state_dir: " + dir.Path("state") + "\ncollectors: [access]\nroot: " + root +
                        "\nstore:\n  address: " + store.address() +
                        "\n  insecure_loopback: true\n  connect_timeout: 2s\n");
  CommandResult run = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  CommandResult evidence =
      RunCommand({SHOKOCTL_BIN, "evidence", "--store", store.address(), "--format", "jsonl"});
  ASSERT_EQ(evidence.exit_code, 0) << evidence.err;
  EXPECT_NE(evidence.out.find("SHA256:"), std::string::npos);  // fingerprints do travel
  EXPECT_EQ(Leak(run.err + evidence.out + evidence.err, secrets), "");
  EXPECT_EQ(store.Stop(), 0);
  EXPECT_EQ(Leak(store.Log(), secrets), "");
}

}  // namespace
}  // namespace shoko
