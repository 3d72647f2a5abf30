// The steps of `shoko-store serve`, without starting a process.
#include "store/serve.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "evidence/note.h"
#include "platform/exit_code.h"
#include "shoko/v1/admin.grpc.pb.h"
#include "store/log_key.h"
#include "store/reports.h"
#include "tests/support/temp_dir.h"

namespace shoko::store {
namespace {

using testing::TempDir;

// The shipped statement: one service, an exception that expires 2027-03-31.
const std::string kSoaExample = testing::FixturePath("../../packaging/soa.example.yaml");

TEST(ServeTest, FlagsGoOverTheConfigFile) {
  TempDir dir;
  ServeFlags flags;
  flags.config = dir.Write("store.yaml",
                           "listen: 127.0.0.1:7000\ndb: /nowhere/a.db\ninsecure_loopback: true\n"
                           "stale_grace: 1h\nsoa: [a.yaml]\n");
  flags.listen = "127.0.0.1:0";
  flags.db = dir.Path("b.db");
  flags.soa = {"b.yaml", "c.yaml"};
  auto config = ResolveConfig(flags);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->listen, "127.0.0.1:0");
  EXPECT_EQ(config->db, dir.Path("b.db"));
  EXPECT_TRUE(config->insecure_loopback);  // from the file: the flag only turns it on
  EXPECT_EQ(config->stale_grace, std::chrono::hours(1));
  EXPECT_EQ(config->soa, (std::vector<std::string>{"b.yaml", "c.yaml"}));
}

TEST(ServeTest, TheConfigIsCheckedWithItsFlagsAndRefusedAsUsage) {
  TempDir dir;
  ServeFlags flags;
  flags.config = dir.Write("store.yaml", "insecure_loopback: true\n");
  flags.tls_ca = dir.Path("ca.crt");
  Status both = ResolveConfig(flags).status();
  EXPECT_NE(both.message().find("not both"), std::string::npos) << both.ToString();
  EXPECT_EQ(ExitCodeFor(both), kExitUsage);
  flags = {};
  flags.config = dir.Path("missing.yaml");
  Status missing = ResolveConfig(flags).status();
  EXPECT_NE(missing.message().find("missing.yaml"), std::string::npos) << missing.ToString();
  EXPECT_EQ(ExitCodeFor(missing), kExitUsage);
}

TEST(ServeTest, ASqliteLedgerGetsItsDirectory) {
  TempDir dir;
  StoreConfig config;
  config.db = dir.Path("state/ledger/store.db");
  auto ledger = OpenConfiguredLedger(config);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  struct stat st;
  ASSERT_EQ(::stat(dir.Path("state/ledger").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(ServeTest, AnUnreachablePostgresIsUnavailable) {
  StoreConfig config;
  config.db = "postgresql://shoko:hunter2@127.0.0.1:1/shoko?connect_timeout=5";
  Status s = OpenConfiguredLedger(config).status();
  EXPECT_EQ(ExitCodeFor(s), kExitUnreachable) << s.ToString();
  EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.ToString();
}

TEST(ServeTest, ReportsUseTheBuiltInsAndTheConfigsGrace) {
  StoreConfig config;
  config.stale_grace = std::chrono::seconds(60);
  config.soa = {kSoaExample};
  auto reports = StoreReports::Load(config);
  ASSERT_TRUE(reports.ok()) << reports.status().ToString();
  const ComplianceContext context = (*reports)->Context();
  ASSERT_NE(context.catalog, nullptr);
  ASSERT_NE(context.mapping, nullptr);
  ASSERT_EQ(context.statements, &(*reports)->statements());
  EXPECT_EQ(context.statements->size(), 1u);
  EXPECT_EQ(context.stale_grace, std::chrono::seconds(60));
}

TEST(ServeTest, ReportsRefuseAMappingOffTheCatalogAndTwoStatementsOfOneService) {
  TempDir dir;
  StoreConfig config;
  config.mapping =
      dir.Write("bad.yaml", "version: x\nchecks:\n  a.b: [ismap:9.9, nist80053r5:AC-3]\n");
  Status typo = StoreReports::Load(config).status();
  EXPECT_NE(typo.message().find(config.mapping + ":3: a.b: ismap:9.9 is not in the catalog"),
            std::string::npos)
      << typo.ToString();
  EXPECT_EQ(ExitCodeFor(typo), kExitUsage);
  config.mapping.clear();
  config.soa = {kSoaExample, kSoaExample};
  Status twice = StoreReports::Load(config).status();
  EXPECT_EQ(twice.message().rfind("soa: ", 0), 0u) << twice.ToString();
  EXPECT_NE(twice.message().find("both state service 'Example Cloud Platform'"), std::string::npos)
      << twice.ToString();
}

TEST(ServeTest, AnExpiredExceptionIsAlertedOncePerRun) {
  StoreConfig config;
  config.soa = {kSoaExample};
  auto reports = StoreReports::Load(config);
  ASSERT_TRUE(reports.ok()) << reports.status().ToString();
  ExpiredExceptionAlerts alerts(&(*reports)->statements());
  EXPECT_TRUE(alerts.Due("2027-03-31").empty());  // the exception's last valid day
  const std::vector<std::string> due = alerts.Due("2027-04-01");
  ASSERT_EQ(due.size(), 1u);
  EXPECT_NE(due[0].find("expired on 2027-03-31"), std::string::npos) << due[0];
  EXPECT_TRUE(alerts.Due("2027-04-02").empty());
}

TEST(ServeTest, EnrollmentNeedsTheCaKeyOnlyWhenConfigured) {
  TempDir dir;
  StoreConfig config;
  auto none = LoadEnrollmentCa(config);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  config.tls_ca = dir.Write("ca.crt", "not a certificate");
  config.tls_ca_key = dir.Path("missing.key");
  Status missing = LoadEnrollmentCa(config).status();
  EXPECT_EQ(missing.message().rfind("tls_ca_key: ", 0), 0u) << missing.ToString();
  EXPECT_EQ(ExitCodeFor(missing), kExitUsage);
}

TEST(ServeTest, ASecondServerCannotTakeABusyPort) {
  StoreConfig config;
  config.listen = "127.0.0.1:0";
  v1::Admin::Service unimplemented;  // a server needs a service
  int port = 0;
  auto first = StartServer(config, grpc::InsecureServerCredentials(), {&unimplemented}, &port);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_NE(port, 0);
  config.listen = "127.0.0.1:" + std::to_string(port);
  int second_port = 0;
  Status busy =
      StartServer(config, grpc::InsecureServerCredentials(), {&unimplemented}, &second_port)
          .status();
  EXPECT_NE(busy.message().find("cannot listen on " + config.listen), std::string::npos)
      << busy.ToString();
  EXPECT_EQ(ExitCodeFor(busy), kExitUsage);
  (*first)->Shutdown();
}

TEST(ServeTest, TheLogKeyIsMadeBesideTheDatabaseOnceAndPrintedAsAVerifierKey) {
  TempDir dir;
  ServeFlags flags;
  flags.db = dir.Path("state/store.db");
  auto printed = LogVerifierKey(flags);
  ASSERT_TRUE(printed.ok()) << printed.status().ToString();
  struct stat st;
  ASSERT_EQ(::stat(dir.Path("state/log.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir.Path("state/log.pub").c_str(), &st), 0);
  auto verifier = evidence::NoteVerifier::Parse(*printed);
  ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
  EXPECT_EQ(verifier->type(), evidence::NoteKeyType::kEd25519);
  EXPECT_EQ(verifier->name(), DefaultLogOrigin(verifier->key()));
  EXPECT_EQ(verifier->name().rfind("shoko-store/", 0), 0u);
  // The same key at the next start, and from the config file.
  EXPECT_EQ(*LogVerifierKey(flags), *printed);
  ServeFlags from_config;
  from_config.config =
      dir.Write("store.yaml", "db: " + flags.db + "\nlog_origin: audit.example.com/shoko\n");
  auto named = evidence::NoteVerifier::Parse(*LogVerifierKey(from_config));
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->name(), "audit.example.com/shoko");
  EXPECT_EQ(named->key().raw(), verifier->key().raw());
}

TEST(ServeTest, TheLogKeysPlaceAndTheSequencersSettingsComeFromTheConfig) {
  TempDir dir;
  StoreConfig config;
  config.db = "/var/lib/x/store.db";
  EXPECT_EQ(LogKeyPath(config), "/var/lib/x/log.key");
  config.db = "postgresql://shoko@db.example/shoko";
  EXPECT_EQ(LogKeyPath(config), "/var/lib/shoko-store/log.key");
  config.log_key = "/etc/shoko/log.key";
  EXPECT_EQ(LogKeyPath(config), "/etc/shoko/log.key");

  auto loaded = LoadStoreConfig(dir.Write(
      "store.yaml",
      "log_key: /k\nsequencer: false\ncheckpoint_interval: 30s\ncheckpoint_leaves: 50\n"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->log_key, "/k");
  EXPECT_FALSE(loaded->sequencer);
  EXPECT_EQ(loaded->checkpoint_interval, std::chrono::seconds(30));
  EXPECT_EQ(loaded->checkpoint_leaves, 50u);
  const StoreConfig defaults;
  EXPECT_TRUE(defaults.sequencer);
  EXPECT_EQ(defaults.checkpoint_interval, std::chrono::seconds(10));
  EXPECT_EQ(defaults.checkpoint_leaves, 1000u);

  const std::string bad = dir.Write("bad.yaml", "listen: 127.0.0.1:0\nlog_origin: my log\n");
  Status spaced = LoadStoreConfig(bad).status();
  EXPECT_NE(spaced.message().find(bad + ":2: log_origin: 'my log' must be printable ASCII"),
            std::string::npos)
      << spaced.ToString();
  EXPECT_EQ(ExitCodeFor(spaced), kExitUsage);
  const std::string zero = dir.Write("zero.yaml", "checkpoint_leaves: 0\n");
  EXPECT_NE(LoadStoreConfig(zero).status().message().find(zero + ":1: checkpoint_leaves"),
            std::string::npos);
}

TEST(ServeTest, ALogKeyFileOthersMayReadIsRefused) {
  TempDir dir;
  ServeFlags flags;
  flags.db = dir.Path("store.db");
  ASSERT_TRUE(LogVerifierKey(flags).ok());
  ASSERT_EQ(::chmod(dir.Path("log.key").c_str(), 0644), 0);
  Status open = LogVerifierKey(flags).status();
  EXPECT_EQ(open.message().rfind("log_key: ", 0), 0u) << open.ToString();
  EXPECT_EQ(ExitCodeFor(open), kExitUsage) << open.ToString();
}

}  // namespace
}  // namespace shoko::store
