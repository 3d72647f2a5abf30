// logs.journald: systemd's precedence for journald.conf and its drop-ins, and
// the retention a real journal file shows (built by systemd-journal-remote
// from entries with known timestamps).
#include "collectors/logs/journald.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "collectors/collector.h"
#include "controls/baseline.h"
#include "platform/env.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::logs {
namespace {

using testing::CommandResult;
using testing::RunCommand;
using testing::TempDir;

constexpr char kJournalRemote[] = "/lib/systemd/systemd-journal-remote";

std::unique_ptr<platform::Env> EnvAt(const std::string& root) {
  auto env = platform::NewRootedEnv(root);
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  return std::move(env).value();
}

Observation Collect(const platform::Env& env) {
  auto c = CollectorRegistry::Global().Create("logs.journald");
  EXPECT_NE(c, nullptr);
  auto obs = c->Collect({env, controls::Baseline::BuiltIn(), nullptr, nullptr});
  EXPECT_EQ(obs.size(), 1u);
  return obs.empty() ? Observation{} : obs.front();
}

TEST(JournaldTest, DropInsFollowSystemdsPrecedence) {
  TempDir dir;
  dir.Write("etc/systemd/journald.conf", "[Journal]\nSeal=no\nForwardToSyslog=yes\n");
  dir.Write("usr/lib/systemd/journald.conf.d/10-a.conf",
            "[Journal]\nStorage=volatile\nMaxRetentionSec=1y\n");
  // The same name in /run hides /usr/lib's.
  dir.Write("run/systemd/journald.conf.d/10-a.conf", "[Journal]\nStorage=persistent\n");
  dir.Write("etc/systemd/journald.conf.d/20-b.conf", "[Journal]\nMaxRetentionSec=2y\n");
  dir.Write("usr/lib/systemd/journald.conf.d/30-c.conf", "[Journal]\nCompress=no\n");
  dir.Write("usr/lib/systemd/journald.conf.d/40-d.conf", "[Journal]\nForwardToSyslog=\n");
  ASSERT_EQ(
      ::mkdir((dir.path() + "/etc/systemd/journald.conf.d").c_str(), 0755) == 0 || errno == EEXIST,
      true);
  // /dev/null in /etc masks /usr/lib's 30-c.conf.
  ASSERT_EQ(::symlink("/dev/null", (dir.path() + "/etc/systemd/journald.conf.d/30-c.conf").c_str()),
            0);
  auto env = EnvAt(dir.path());
  auto s = LoadJournaldSettings(*env);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->values["storage"], "persistent");
  EXPECT_EQ(s->values["maxretentionsec"], "2y");
  EXPECT_EQ(s->values.count("compress"), 0u);
  EXPECT_EQ(s->values["seal"], "no");
  EXPECT_EQ(s->values.count("forwardtosyslog"), 0u);  // reset by an empty assignment
  EXPECT_EQ(s->origins["storage"], "/run/systemd/journald.conf.d/10-a.conf:2");
  EXPECT_EQ(s->files.front(), "/etc/systemd/journald.conf");
}

TEST(JournaldTest, TimeSpansAsSystemdWritesThem) {
  EXPECT_EQ(ParseTimespanSeconds("0").value_or(-1), 0);
  EXPECT_EQ(ParseTimespanSeconds("36h").value_or(-1), 36 * 3600);
  EXPECT_EQ(ParseTimespanSeconds("2w 1d").value_or(-1), 15 * 86400);
  EXPECT_EQ(ParseTimespanSeconds("1y").value_or(-1), 31557600);
  EXPECT_FALSE(ParseTimespanSeconds("forever").has_value());
  EXPECT_FALSE(ParseTimespanSeconds("").has_value());
}

// Writes a journal with entries `days_ago` before now into ROOT/var/log/journal.
void WriteJournal(const TempDir& dir, std::initializer_list<int> days_ago) {
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  std::string export_text;
  int64_t mono = 1000;
  for (int d : days_ago) {
    export_text += "__REALTIME_TIMESTAMP=" + std::to_string(now_us - int64_t{d} * 86'400'000'000) +
                   "\n__MONOTONIC_TIMESTAMP=" + std::to_string(mono += 1000) +
                   "\n_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE=entry " +
                   std::to_string(d) + "\n_HOSTNAME=fixture\n\n";
  }
  const std::string input = dir.Write("entries.export", export_text);
  ASSERT_EQ(::mkdir((dir.path() + "/root/var/log/journal").c_str(), 0755), 0);
  CommandResult r = RunCommand({"sh", "-c",
                                std::string(kJournalRemote) + " -o " + dir.path() +
                                    "/root/var/log/journal/remote.journal - < " + input});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST(JournaldTest, ARealJournalShowsItsObservedRetention) {
  if (RunCommand({kJournalRemote, "--help"}).exit_code != 0) {
    GTEST_SKIP() << "systemd-journal-remote is not installed here (Debian package of that name)";
  }
  TempDir dir;
  dir.Write("root/etc/systemd/journald.conf", "[Journal]\n#Storage=auto\n");
  dir.Write("root/var/log/.keep", "");
  WriteJournal(dir, {400, 30, 1});
  auto env = EnvAt(dir.Path("root"));
  Observation obs = Collect(*env);
  ASSERT_EQ(obs.verdict, Verdict::kPass) << obs.message;
  EXPECT_EQ(obs.facts["storage_effective"], "persistent");
  EXPECT_EQ(obs.facts["observed_retention_days"], 400);

  // A retention limit below the baseline fails, whatever is on disk.
  dir.Write("root/etc/systemd/journald.conf.d/short.conf", "[Journal]\nMaxRetentionSec=1month\n");
  Observation limited = Collect(*env);
  EXPECT_EQ(limited.verdict, Verdict::kFail);
  EXPECT_NE(limited.message.find("MaxRetentionSec=1month"), std::string::npos) << limited.message;
}

TEST(JournaldTest, AYoungJournalIsSaidSoAndVolatileStorageFails) {
  if (RunCommand({kJournalRemote, "--help"}).exit_code != 0) {
    GTEST_SKIP() << "systemd-journal-remote is not installed here (Debian package of that name)";
  }
  TempDir dir;
  dir.Write("root/etc/systemd/journald.conf", "[Journal]\n");
  dir.Write("root/var/log/.keep", "");
  WriteJournal(dir, {10, 2});
  auto env = EnvAt(dir.Path("root"));
  Observation young = Collect(*env);
  EXPECT_EQ(young.verdict, Verdict::kPass);
  EXPECT_EQ(young.facts["observed_retention_days"], 10);
  EXPECT_NE(young.message.find("younger than the baseline"), std::string::npos) << young.message;

  TempDir bare;
  bare.Write("etc/systemd/journald.conf", "[Journal]\nStorage=auto\n");
  auto bare_env = EnvAt(bare.path());
  Observation volatile_journal = Collect(*bare_env);
  EXPECT_EQ(volatile_journal.verdict, Verdict::kFail);
  EXPECT_EQ(volatile_journal.facts["storage_effective"], "volatile");
}

}  // namespace
}  // namespace shoko::collectors::logs
