// The whole logs family on fixture roots: the defaults of Debian 12, Ubuntu
// 24.04 (with an operator's drop-ins) and RHEL 9, then hostile roots — some
// committed (tests/fixtures/hostile-logs), some made here (10 MB files,
// FIFOs and directories where files belong), since git keeps neither.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "collectors/collector.h"
#include "tests/collectors/collect_one.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::logs {
namespace {

using testing::CollectOneAt;
using testing::FixturePath;
using testing::TempDir;

constexpr const char* kFamily[] = {"logs.logrotate", "logs.journald", "logs.on_disk",
                                   "logs.remote",    "logs.auditd",   "logs.time_sync"};

// check_id → its observation, for every collector of the family.
std::map<std::string, Observation> CollectFamily(const std::string& root) {
  std::map<std::string, Observation> out;
  for (const char* check : kFamily) out[check] = CollectOneAt(check, root);
  return out;
}

std::string VerdictsOf(const std::map<std::string, Observation>& obs) {
  std::string out;
  for (const auto& [check, o] : obs) out += check + "=" + std::string(VerdictName(o.verdict)) + " ";
  return out;
}

TEST(LogsFamilyTest, Debian12Defaults) {
  auto obs = CollectFamily(FixturePath("debian12-logs"));
  EXPECT_EQ(VerdictsOf(obs),
            "logs.auditd=fail logs.journald=pass logs.logrotate=fail logs.on_disk=pass "
            "logs.remote=fail logs.time_sync=pass ");
  EXPECT_EQ(obs["logs.journald"].facts["storage_effective"], "persistent");
  EXPECT_EQ(obs["logs.time_sync"].facts["daemons"][0]["daemon"], "systemd-timesyncd");
  EXPECT_EQ(obs["logs.time_sync"].facts["daemons"][0]["enabled"], true);
}

TEST(LogsFamilyTest, Ubuntu2404WithOperatorDropIns) {
  auto obs = CollectFamily(FixturePath("ubuntu2404-logs"));
  EXPECT_EQ(VerdictsOf(obs),
            "logs.auditd=fail logs.journald=pass logs.logrotate=fail logs.on_disk=pass "
            "logs.remote=pass logs.time_sync=pass ");
  // The drop-in's 400 days, not the main file's silence.
  EXPECT_EQ(obs["logs.journald"].facts["max_retention_sec"], "400d");
  const auto& d = obs["logs.remote"].facts["destinations"];
  ASSERT_EQ(d.size(), 1u) << d.dump();
  EXPECT_EQ(d[0]["target"], "logs.internal.example");
  EXPECT_EQ(d[0]["tls"], true);  // StreamDriverMode 1 under global(DefaultNetstreamDriver gtls)
  EXPECT_EQ(d[0]["defined_in"], "/etc/rsyslog.d/60-forward.conf:4");
}

TEST(LogsFamilyTest, Rhel9Defaults) {
  auto obs = CollectFamily(FixturePath("rhel9-logs"));
  EXPECT_EQ(VerdictsOf(obs),
            "logs.auditd=fail logs.journald=fail logs.logrotate=fail logs.on_disk=not_applicable "
            "logs.remote=fail logs.time_sync=pass ");
  // auditd runs, but RHEL's default rules watch nothing.
  EXPECT_EQ(obs["logs.auditd"].facts["enabled"], true);
  EXPECT_EQ(obs["logs.auditd"].facts["settings"]["num_logs"], "5");
  EXPECT_EQ(obs["logs.auditd"].message,
            "no audit rule watches identity, sudoers, logins, time_change");
  // No /var/log/journal: Storage=auto keeps the journal in /run only.
  EXPECT_NE(obs["logs.journald"].message.find("not kept on disk"), std::string::npos);
  EXPECT_EQ(obs["logs.time_sync"].facts["daemons"][0]["servers"],
            nlohmann::json::array({"2.rocky.pool.ntp.org"}));
}

std::string Hostile(const std::string& name) { return FixturePath("hostile-logs/" + name); }

TEST(LogsFamilyTest, IncludeLoopIsAnErrorAtTheIncludeLine) {
  auto obs = CollectFamily(Hostile("include-loop"));
  const Observation& l = obs["logs.logrotate"];
  EXPECT_EQ(l.verdict, Verdict::kError);
  EXPECT_NE(l.message.find("/etc/logrotate.d/zz-back (in root "), std::string::npos) << l.message;
  EXPECT_NE(l.message.find("):3: include /etc/logrotate.d: reads"), std::string::npos) << l.message;
  EXPECT_NE(l.message.find("include loop"), std::string::npos) << l.message;
}

TEST(LogsFamilyTest, MissingDirectories) {
  auto obs = CollectFamily(Hostile("missing-dirs"));
  EXPECT_EQ(VerdictsOf(obs),
            "logs.auditd=fail logs.journald=fail logs.logrotate=error "
            "logs.on_disk=not_applicable logs.remote=fail logs.time_sync=fail ");
  // logrotate itself stops at an include it cannot stat.
  EXPECT_NE(obs["logs.logrotate"].message.find(":3: include /etc/logrotate.d"), std::string::npos);
  // chrony's confdir, sourcedir and include name nothing that exists: no servers.
  EXPECT_EQ(obs["logs.time_sync"].facts["daemons"][0]["servers"], nlohmann::json::array());
}

TEST(LogsFamilyTest, CrlfDuplicatesAndEmptyGlobs) {
  auto obs = CollectFamily(Hostile("crlf-dups-globs"));
  EXPECT_EQ(VerdictsOf(obs),
            "logs.auditd=fail logs.journald=fail logs.logrotate=pass logs.on_disk=pass "
            "logs.remote=pass logs.time_sync=pass ");
  std::map<std::string, nlohmann::json> logs;
  for (const auto& l : obs["logs.logrotate"].facts["logs"]) logs[l["path"]] = l;
  // The first block for a path wins, as in logrotate; the second is a warning.
  EXPECT_EQ(logs["/var/log/app.log"]["rotate"], 24);
  EXPECT_EQ(logs["/var/log/app.log"]["frequency"], "monthly");
  EXPECT_TRUE(logs.contains("/var/log/nothing-here/*.log"));  // a pattern, matching nothing
  EXPECT_NE(obs["logs.logrotate"].facts.dump().find("duplicate log entry for /var/log/app.log"),
            std::string::npos);
  // Drop-ins in name order: b.conf's 30 days after a.conf's 2 years.
  EXPECT_NE(obs["logs.journald"].message.find("MaxRetentionSec=30d"), std::string::npos);
  const auto& d = obs["logs.remote"].facts["destinations"];
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0]["target"], "logs.example");
  EXPECT_EQ(d[0]["port"], "6514");  // no '\r' left on it
  EXPECT_EQ(obs["logs.time_sync"].facts["daemons"][0]["servers"],
            nlohmann::json::array({"ntp1.example", "pool.example"}));
  for (const char* topic : {"identity", "sudoers", "logins", "time_change"}) {
    EXPECT_EQ(obs["logs.auditd"].facts["watched"][topic], true) << topic;
  }
  EXPECT_EQ(obs["logs.auditd"].message, "auditd.service is not enabled");
}

TEST(LogsFamilyTest, LinksOutOfTheRootAreNeverFollowedOut) {
  auto obs = CollectFamily(Hostile("escape"));
  std::string all;
  for (const auto& [check, o] : obs) {
    EXPECT_NE(o.verdict, Verdict::kError) << check << ": " << o.message;
    all += o.message + o.facts.dump();
  }
  // Only the root's own file: the links resolve inside it, to nothing.
  const auto& logs = obs["logs.logrotate"].facts["logs"];
  ASSERT_EQ(logs.size(), 1u) << logs.dump();
  EXPECT_EQ(logs[0]["path"], "/var/log/inside.log");
  // Nothing of this machine's files reached the output.
  for (const char* host_text : {"root:x:0:0", "PRIVATE KEY", "/var/log/dpkg.log", "apt/term.log"}) {
    EXPECT_EQ(all.find(host_text), std::string::npos) << host_text;
  }
  EXPECT_EQ(obs["logs.auditd"].verdict, Verdict::kFail);  // its auditd.conf is a link to nothing
}

// Copies the crlf-dups-globs root (all good) to break one file at a time.
class BrokenRoot {
 public:
  BrokenRoot() {
    std::filesystem::copy(Hostile("crlf-dups-globs"), dir_.path(),
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::copy_symlinks |
                              std::filesystem::copy_options::overwrite_existing);
  }
  const TempDir& dir() const { return dir_; }
  void Replace(const std::string& file, const std::string& with) const {
    std::filesystem::remove(dir_.Path(file));
    if (with == "fifo") {
      ASSERT_EQ(::mkfifo(dir_.Path(file).c_str(), 0644), 0);
    } else if (with == "directory") {
      std::filesystem::create_directory(dir_.Path(file));
    } else if (with == "10MB") {
      std::ofstream(dir_.Path(file)) << std::string(10 << 20, '#');
    }
  }

 private:
  TempDir dir_;
};

TEST(LogsFamilyTest, HugeFifoAndDirectoryConfigsAreErrorsNamingTheFile) {
  struct Case {
    const char* file;
    const char* with;
    const char* check;
    const char* says;
  };
  for (const Case& c : std::vector<Case>{
           {"etc/logrotate.d/a-app", "10MB", "logs.logrotate", "larger than"},
           {"etc/logrotate.conf", "fifo", "logs.logrotate", "not a regular file"},
           {"etc/rsyslog.conf", "10MB", "logs.remote", "larger than"},
           {"etc/rsyslog.conf", "fifo", "logs.remote", "not a regular file"},
           {"etc/chrony/chrony.conf", "directory", "logs.time_sync", "not a regular file"},
           {"etc/audit/auditd.conf", "fifo", "logs.auditd", "not a regular file"},
           {"etc/audit/rules.d/10.rules", "10MB", "logs.auditd", "larger than"},
           {"etc/systemd/journald.conf.d/b.conf", "10MB", "logs.journald", "larger than"},
       }) {
    BrokenRoot root;
    root.Replace(c.file, c.with);
    // Never a hang on the FIFO: files are opened non-blocking and checked.
    Observation o = CollectOneAt(c.check, root.dir().path());
    EXPECT_EQ(o.verdict, Verdict::kError) << c.file << " " << c.with << ": " << o.message;
    EXPECT_NE(o.message.find(std::string("/") + c.file + " (in root " + root.dir().path()),
              std::string::npos)
        << o.message;
    EXPECT_NE(o.message.find(c.says), std::string::npos) << o.message;
  }
}

TEST(LogsFamilyTest, BadValuesNameFileAndLine) {
  BrokenRoot root;
  root.dir().Write("etc/systemd/journald.conf.d/b.conf",
                   "[Journal]\r\n\r\nMaxRetentionSec=forever\r\n");
  Observation j = CollectOneAt("logs.journald", root.dir().path());
  EXPECT_EQ(j.verdict, Verdict::kError);
  EXPECT_EQ(j.message.rfind("/etc/systemd/journald.conf.d/b.conf:3 (in root ", 0), 0u) << j.message;
  EXPECT_NE(j.message.find("MaxRetentionSec=forever is not a time span"), std::string::npos);
  root.dir().Write("etc/audit/auditd.conf", "num_logs = 5\nmax_log_file 8\n");
  Observation a = CollectOneAt("logs.auditd", root.dir().path());
  EXPECT_EQ(a.verdict, Verdict::kError);
  EXPECT_NE(a.message.find("/etc/audit/auditd.conf (in root " + root.dir().path() +
                           "):2: not a 'key = value' line"),
            std::string::npos)
      << a.message;
}

}  // namespace
}  // namespace shoko::collectors::logs
