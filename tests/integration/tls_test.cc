// mTLS end to end (docs/wire-protocol.md, "Transport security"): a store with certificates from the deployment
// CA, an agent and an auditor with theirs, and every impostor turned away.
#include <gtest/gtest.h>

#include "tests/integration/processes.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko {
namespace {

using testing::CommandResult;
using testing::FixturePath;
using testing::RunCommand;
using testing::TempDir;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = dir_.Path("pki");
    ASSERT_EQ(RunCommand({SHOKOCTL_BIN, "pki", "init", "--dir", pki_}).exit_code, 0);
    Issue("store", "store1");
    Issue("auditor", "alice");
    Issue("admin", "ops");
    Issue("importer", "courier");
    store_ = std::make_unique<StoreProcess>(
        dir_, "127.0.0.1:0",
        std::vector<std::string>{"--tls-cert", pki_ + "/store1.crt", "--tls-key",
                                 pki_ + "/store1.key", "--tls-ca", pki_ + "/ca.crt", "--tls-ca-key",
                                 pki_ + "/ca.key"});
    ASSERT_FALSE(store_->address().empty());
  }
  void TearDown() override {
    if (store_) {
      EXPECT_EQ(store_->Stop(), 0);
    }
  }

  void Issue(const std::string& role, const std::string& name) {
    CommandResult r =
        RunCommand({SHOKOCTL_BIN, "pki", "issue", "--dir", pki_, "--role", role, "--name", name});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // An agent with its own state dir and a certificate naming `cert_agent`
  // (its own agent_id when empty). Returns its config path.
  std::string Agent(const std::string& name, std::string* agent_id,
                    const std::string& cert_agent = "") {
    const std::string state = dir_.Path(name);
    std::string config = dir_.Write(
        name + ".yaml", "state_dir: " + state +
                            "\ncollectors: [access.sshd]\nroot: " + FixturePath("debian12-sshd") +
                            "\nstore:\n  address: " + store_->address() + "\n  ca: " + pki_ +
                            "/ca.crt\n  connect_timeout: 2s\n");
    CommandResult id = RunCommand({SHOKO_AGENT_BIN, "identity", "--config", config});
    EXPECT_EQ(id.exit_code, 0) << id.err;
    *agent_id = id.out.substr(0, 64);
    const std::string certified = cert_agent.empty() ? *agent_id : cert_agent;
    if (cert_agent.empty()) Issue("agent", certified);
    dir_.Write(name + "/tls.crt", testing::ReadFileOrEmpty(pki_ + "/" + certified + ".crt"));
    dir_.Write(name + "/tls.key", testing::ReadFileOrEmpty(pki_ + "/" + certified + ".key"));
    return config;
  }

  // `shokoctl evidence` (or `compliance`) with these credentials.
  CommandResult Evidence(std::vector<std::string> credentials,
                         const std::string& command = "evidence") {
    std::vector<std::string> argv = {SHOKOCTL_BIN, command,
                                     "--store",    store_->address(),
                                     "--format",   command == "evidence" ? "jsonl" : "json"};
    argv.insert(argv.end(), credentials.begin(), credentials.end());
    return RunCommand(argv);
  }

  std::vector<std::string> As(const std::string& who) {
    return {"--ca",  pki_ + "/ca.crt",         "--cert", pki_ + "/" + who + ".crt",
            "--key", pki_ + "/" + who + ".key"};
  }

  TempDir dir_;
  std::string pki_;
  std::unique_ptr<StoreProcess> store_;
};

TEST_F(TlsTest, AnEnrolledAgentUploadsAndAnAuditorReads) {
  std::string agent_id;
  std::string config = Agent("host-a", &agent_id);
  CommandResult run = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* who : {"alice", "ops"}) {
    CommandResult query = Evidence(As(who));
    ASSERT_EQ(query.exit_code, 0) << who << ": " << query.err;
    auto records = JsonLines(query.out);
    ASSERT_EQ(records.size(), kSshdRecords + 3) << who;
    for (const auto& r : records) {
      EXPECT_EQ(r["agent_id"], agent_id);
      EXPECT_EQ(r["signature"], "valid");
    }
    CommandResult matrix = Evidence(As(who), "compliance");
    ASSERT_EQ(matrix.exit_code, 0) << who << ": " << matrix.err;
    EXPECT_EQ(nlohmann::json::parse(matrix.out)["hosts"][0]["agent_id"], agent_id);
  }
}

TEST_F(TlsTest, EveryImpostorIsTurnedAwayWithItsReason) {
  std::string a, b;
  std::string config_a = Agent("host-a", &a);
  ASSERT_EQ(RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config_a}).exit_code, 0);

  // Host B presents host A's certificate.
  std::string config_b = Agent("host-b", &b, a);
  CommandResult stolen = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config_b});
  EXPECT_EQ(stolen.exit_code, 2) << stolen.err;  // refused credentials
  EXPECT_NE(stolen.err.find("the certificate of agent " + a + " cannot upload for agent " + b),
            std::string::npos)
      << stolen.err;

  // An agent's certificate cannot read evidence; no certificate cannot either.
  CommandResult agent_reads = Evidence({"--ca", pki_ + "/ca.crt", "--cert", pki_ + "/" + a + ".crt",
                                        "--key", pki_ + "/" + a + ".key"});
  EXPECT_EQ(agent_reads.exit_code, 2);
  EXPECT_NE(agent_reads.err.find("only auditors and admins read evidence"), std::string::npos)
      << agent_reads.err;
  CommandResult anonymous = Evidence({"--ca", pki_ + "/ca.crt"});
  EXPECT_EQ(anonymous.exit_code, 2);
  EXPECT_NE(anonymous.err.find("only auditors and admins read evidence"), std::string::npos);
  CommandResult agent_matrix = Evidence({"--ca", pki_ + "/ca.crt", "--cert",
                                         pki_ + "/" + a + ".crt", "--key", pki_ + "/" + a + ".key"},
                                        "compliance");
  EXPECT_EQ(agent_matrix.exit_code, 2);
  EXPECT_NE(agent_matrix.err.find("only auditors and admins read evidence"), std::string::npos)
      << agent_matrix.err;

  // A certificate from another CA does not even get a TLS session.
  const std::string other = dir_.Path("other-pki");
  ASSERT_EQ(RunCommand({SHOKOCTL_BIN, "pki", "init", "--dir", other}).exit_code, 0);
  ASSERT_EQ(RunCommand({SHOKOCTL_BIN, "pki", "issue", "--dir", other, "--role", "auditor", "--name",
                        "mallory"})
                .exit_code,
            0);
  CommandResult foreign = Evidence({"--ca", pki_ + "/ca.crt", "--cert", other + "/mallory.crt",
                                    "--key", other + "/mallory.key"});
  EXPECT_NE(foreign.exit_code, 0);
  EXPECT_EQ(JsonLines(foreign.out).size(), 0u);

  // Plaintext to a TLS listener fails cleanly, in bounded time.
  CommandResult plaintext = Evidence({});
  EXPECT_EQ(plaintext.exit_code, 3) << plaintext.err;
  EXPECT_EQ(Lines(plaintext.err), 1) << plaintext.err;

  EXPECT_NE(store_->Log().find("cannot upload for agent " + b), std::string::npos);
  EXPECT_NE(store_->Log().find("refused ListEvidence"), std::string::npos);
}

// gRPC 1.51 offers TLS 1.2 as well; the store must not (docs/wire-protocol.md, "Transport security"). OpenSSL's
// own client is the judge: TLS 1.3 with a valid certificate gets a session,
// TLS 1.2 with the same certificate does not.
TEST_F(TlsTest, TheListenerSpeaksOnlyTls13) {
  auto handshake = [&](const char* version) {
    return RunCommand({"openssl", "s_client", "-connect", store_->address(), version, "-CAfile",
                       pki_ + "/ca.crt", "-cert", pki_ + "/alice.crt", "-key", pki_ + "/alice.key",
                       "-verify_return_error", "-brief"},
                      std::chrono::seconds(20));
  };
  // s_client exits 1 either way: gRPC hangs up on a peer that sends no HTTP/2.
  CommandResult tls13 = handshake("-tls1_3");
  EXPECT_NE(tls13.err.find("CONNECTION ESTABLISHED"), std::string::npos) << tls13.err;
  EXPECT_NE(tls13.err.find("Protocol version: TLSv1.3"), std::string::npos) << tls13.err;
  CommandResult tls12 = handshake("-tls1_2");
  EXPECT_NE(tls12.exit_code, 0);
  EXPECT_EQ(tls12.err.find("CONNECTION ESTABLISHED"), std::string::npos) << tls12.err;
}

TEST_F(TlsTest, EnrollmentRevocationAndOfflineRegistration) {
  auto admin = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {SHOKOCTL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const std::string& a : std::vector<std::string>{"--store", store_->address()})
      argv.push_back(a);
    for (const std::string& a : As("ops")) argv.push_back(a);
    return RunCommand(argv);
  };
  CommandResult token = admin({"enroll", "create", "--ttl", "10m", "--note", "host-c"});
  ASSERT_EQ(token.exit_code, 0) << token.err;
  const std::string t = token.out.substr(0, token.out.find('\n'));
  // Only admins make tokens.
  std::vector<std::string> as_alice = {SHOKOCTL_BIN, "enroll", "create", "--store",
                                       store_->address()};
  for (const std::string& a : As("alice")) as_alice.push_back(a);
  CommandResult refused = RunCommand(as_alice);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("admins only"), std::string::npos) << refused.err;

  auto config_for = [&](const std::string& name) {
    return dir_.Write(name + ".yaml",
                      "state_dir: " + dir_.Path(name) +
                          "\ncollectors: [access.sshd]\nroot: " + FixturePath("debian12-sshd") +
                          "\nstore:\n  address: " + store_->address() + "\n  ca: " + pki_ +
                          "/ca.crt\n");
  };
  const std::string config = config_for("host-c");
  CommandResult enrolled =
      RunCommand({SHOKO_AGENT_BIN, "enroll", "--config", config, "--token", t});
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  const std::string agent_id = enrolled.out.substr(0, 64);
  ASSERT_EQ(RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config}).exit_code, 0);
  CommandResult reused =
      RunCommand({SHOKO_AGENT_BIN, "enroll", "--config", config_for("host-d"), "--token", t});
  EXPECT_EQ(reused.exit_code, 2);
  EXPECT_NE(reused.err.find("enrollment token already used"), std::string::npos) << reused.err;

  // Revocation takes effect on the agent's next stream, without a restart.
  CommandResult revoke = admin({"agent", "revoke", agent_id, "--reason", "compromised"});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_EQ(revoke.out, "agent " + agent_id + ": revoked\n");
  CommandResult after = RunCommand({SHOKO_AGENT_BIN, "run", "--once", "--config", config});
  EXPECT_EQ(after.exit_code, 2);  // refused credentials
  EXPECT_NE(after.err.find("agent is revoked (compromised)"), std::string::npos) << after.err;

  // An offline agent's files: an importer may send them once an admin has
  // registered the agent's key, and not after the agent is retired.
  const std::string offline = dir_.Path("offline");
  auto collect = [&] {
    CommandResult r = RunCommand({SHOKO_AGENT_BIN, "collect", "--once", "--collector",
                                  "access.sshd", "--sign", "--state-dir", offline, "--format",
                                  "dsse", "--root", FixturePath("sshd-defaults")});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  const std::string day1 = dir_.Write("day1.jsonl", collect());
  const std::string offline_id = testing::ReadFileOrEmpty(offline + "/agent.id").substr(0, 64);
  auto import = [&](const std::string& file) {
    std::vector<std::string> argv = {SHOKOCTL_BIN, "import", "--store", store_->address()};
    for (const std::string& a : As("courier")) argv.push_back(a);
    argv.push_back(file);
    return RunCommand(argv);
  };
  CommandResult unregistered = import(day1);
  EXPECT_EQ(unregistered.exit_code, 2);  // refused: the store's PERMISSION_DENIED
  EXPECT_NE(unregistered.err.find("an importer may send only agents the store already knows"),
            std::string::npos)
      << unregistered.err;
  CommandResult reg =
      admin({"agent", "register", "--pub", offline + "/keys/" + offline_id + ".pub"});
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  CommandResult imported = import(day1);
  EXPECT_EQ(imported.exit_code, 0) << imported.err;
  ASSERT_EQ(admin({"agent", "retire", offline_id, "--reason", "decommissioned"}).exit_code, 0);
  CommandResult late = import(dir_.Write("day2.jsonl", collect()));
  EXPECT_EQ(late.exit_code, 2);  // refused: the store's PERMISSION_DENIED
  EXPECT_NE(late.err.find("agent is retired (decommissioned)"), std::string::npos) << late.err;
  // Its evidence stays readable.
  CommandResult kept = Evidence(As("alice"));
  EXPECT_NE(kept.out.find(offline_id), std::string::npos);
}

TEST(TlsStoreTest, TheStoreRefusesHalfATlsConfiguration) {
  TempDir dir;
  CommandResult r = RunCommand({SHOKO_STORE_BIN, "serve", "--listen", "127.0.0.1:0", "--db",
                                dir.Path("s.db"), "--tls-cert", dir.Path("missing.crt")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("needs tls_cert, tls_key and tls_ca"), std::string::npos) << r.err;
  CommandResult both =
      RunCommand({SHOKO_STORE_BIN, "serve", "--listen", "127.0.0.1:0", "--db", dir.Path("s.db"),
                  "--insecure-loopback", "--tls-ca", dir.Path("x")});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("not both"), std::string::npos) << both.err;
}

}  // namespace
}  // namespace shoko
