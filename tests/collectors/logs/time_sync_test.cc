// logs.time_sync on fixture roots (the kernel's clock state is read only for
// the running system, so here the verdict rests on configuration).
#include <gtest/gtest.h>

#include "collectors/collector.h"
#include "tests/collectors/collect_one.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::logs {
namespace {

using testing::TempDir;

Observation Collect(const std::string& root) {
  return testing::CollectOneAt("logs.time_sync", root);
}

TEST(TimeSyncTest, DaemonsAndServersFromConfiguration) {
  TempDir chrony;
  chrony.Write("etc/chrony/chrony.conf",
               "# Debian's default\npool 2.debian.pool.ntp.org iburst\nserver ntp.example.org\n"
               "sourcedir /run/chrony-dhcp\n");
  Observation a = Collect(chrony.path());
  EXPECT_EQ(a.verdict, Verdict::kPass) << a.message;
  EXPECT_TRUE(a.facts["clock_synchronised"].is_null());
  EXPECT_EQ(a.facts["daemons"][0]["servers"],
            nlohmann::json::array({"2.debian.pool.ntp.org", "ntp.example.org"}));

  TempDir timesyncd;
  timesyncd.Write("etc/systemd/timesyncd.conf", "[Time]\nNTP=a.example b.example\n");
  Observation b = Collect(timesyncd.path());
  EXPECT_EQ(b.verdict, Verdict::kPass) << b.message;
  EXPECT_EQ(b.facts["daemons"][0]["servers"], nlohmann::json::array({"a.example", "b.example"}));

  TempDir none;
  none.Write("etc/hostname", "h\n");
  Observation c = Collect(none.path());
  EXPECT_EQ(c.verdict, Verdict::kFail);
  EXPECT_NE(c.message.find("no time daemon"), std::string::npos);

  TempDir broken;
  broken.Write("etc/systemd/timesyncd.conf", "NTP=before-any-section\n");
  Observation d = Collect(broken.path());
  EXPECT_EQ(d.verdict, Verdict::kError);
  EXPECT_NE(d.message.find("timesyncd.conf (in root " + broken.path() + "):1:"), std::string::npos)
      << d.message;
}

}  // namespace
}  // namespace shoko::collectors::logs
