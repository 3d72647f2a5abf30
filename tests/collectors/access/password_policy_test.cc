// access.password_policy on Debian's and RHEL's default stacks, and the PAM
// parser on hostile text.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "collectors/access/pam.h"
#include "collectors/collector.h"
#include "controls/baseline.h"
#include "platform/env.h"
#include "tests/collectors/collect_one.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::access {
namespace {

using testing::FixturePath;
using testing::TempDir;

std::map<std::string, std::string> Verdicts(const std::string& root) {
  std::map<std::string, std::string> out;
  for (const Observation& o : testing::CollectAt("access.password_policy", root)) {
    out[o.check_id] = std::string(VerdictName(o.verdict)) + ": " + o.message;
  }
  return out;
}

TEST(PasswordPolicyTest, DebianDefaultsFailAlmostEverything) {
  const std::map<std::string, std::string> expected = {
      {"access.password_policy", "info: PAM stacks common-auth, common-password"},
      {"access.password_policy.quality", "fail: no pam_pwquality in the password stack"},
      {"access.password_policy.lockout", "fail: no pam_faillock in the auth stack"},
      {"access.password_policy.history",
       "fail: no password history (pam_pwhistory or pam_unix remember=)"},
      {"access.password_policy.nullok", "fail: pam_unix nullok at /etc/pam.d/common-auth:17"},
      {"access.password_policy.ageing", "fail: PASS_MAX_DAYS 99999; PASS_MIN_DAYS 0"},
      {"access.password_policy.hashing",
       "pass: hashing with yescrypt (pam_unix yescrypt, login.defs sha512)"},
  };
  EXPECT_EQ(Verdicts(FixturePath("debian12-accounts")), expected);
}

TEST(PasswordPolicyTest, HardenedRhelPassesWithDistributionKeyedDeny) {
  const std::map<std::string, std::string> expected = {
      {"access.password_policy", "info: PAM stacks system-auth, password-auth"},
      {"access.password_policy.quality", "pass: pam_pwquality: minlen 14, 4 classes"},
      // deny 5 passes on RHEL (the baseline's rhel value), would fail on Debian (4).
      {"access.password_policy.lockout", "pass: pam_faillock: deny 5, unlock_time 900"},
      {"access.password_policy.history", "pass: pam_pwhistory.so remembers 24"},
      {"access.password_policy.nullok", "pass: pam_unix never accepts an empty password"},
      {"access.password_policy.ageing", "pass: login.defs ageing within the baseline"},
      {"access.password_policy.hashing",
       "pass: hashing with sha512 (pam_unix sha512, login.defs sha512)"},
  };
  EXPECT_EQ(Verdicts(FixturePath("rhel9-access")), expected);

  // The same stack on a Debian host: deny 5 is one too many there.
  TempDir debian;
  std::filesystem::copy(FixturePath("rhel9-access"), debian.path(),
                        std::filesystem::copy_options::recursive);
  debian.Write("etc/os-release", "ID=debian\n");
  EXPECT_EQ(Verdicts(debian.path())["access.password_policy.lockout"],
            "fail: deny 5 (baseline 1 to 4)");

  // Both stacks load pam_pwhistory; its configuration is one artifact.
  debian.Write("etc/security/pwhistory.conf", "remember = 30\n");
  auto all = testing::CollectAllAt("access.password_policy", debian.path());
  int pwhistory = 0;
  for (const Artifact& a : all["access.password_policy"].artifacts) {
    pwhistory += a.path == "/etc/security/pwhistory.conf";
  }
  EXPECT_EQ(pwhistory, 1);
}

TEST(PamTest, ParserAndStackRefusalsNameFileAndLine) {
  auto lines = ParsePamText(
      "#%PAM-1.0\nauth [success=1 default=ignore]\tpam_unix.so nullok\n"
      "-session optional /lib/security/pam_systemd.so\n@include common-auth\n"
      "password requisite pam_pwquality.so \\\n  retry=3 minlen=12\n",
      "f");
  ASSERT_TRUE(lines.ok()) << lines.status().message();
  ASSERT_EQ(lines->size(), 4u);
  EXPECT_EQ((*lines)[0].control, "[success=1 default=ignore]");
  EXPECT_EQ((*lines)[1].type, "session");
  EXPECT_EQ((*lines)[1].module, "pam_systemd.so");
  EXPECT_EQ((*lines)[2].type, "@include");
  EXPECT_EQ((*lines)[3].args, (std::vector<std::string>{"retry=3", "minlen=12"}));
  EXPECT_EQ((*lines)[3].line, 5);
  EXPECT_EQ(ParsePamText("auth [default=die pam_unix.so\n", "f").status().message(),
            "f:1: a '[' control is never closed");
  EXPECT_EQ(ParsePamText("\nauth required\n", "f").status().message(),
            "f:2: expected 'type control module [arguments]'");
  EXPECT_EQ(ParsePamText("login required pam_unix.so\n", "f").status().message(),
            "f:1: unknown type 'login'");

  TempDir dir;
  dir.Write("etc/pam.d/common-auth", "auth required pam_env.so\n@include loop-a\n");
  dir.Write("etc/pam.d/loop-a", "auth include common-auth\n");
  auto env = platform::NewRootedEnv(dir.path());
  auto loop = LoadPamStack(**env, "common-auth");
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.status().message().find("/etc/pam.d/loop-a (in root " + dir.path() +
                                         "):1: includes /etc/pam.d/common-auth again"),
            std::string::npos)
      << loop.status().message();
  dir.Write("etc/pam.d/loop-a", "auth include missing\n");
  EXPECT_FALSE(LoadPamStack(**env, "common-auth").ok());
  dir.Write("etc/pam.d/loop-a", "account required pam_unix.so\nauth required pam_faillock.so\n");
  dir.Write("etc/pam.d/sshd", "auth include loop-a\n");
  auto only_auth = LoadPamStack(**env, "sshd");
  ASSERT_TRUE(only_auth.ok());
  ASSERT_EQ(only_auth->size(), 1u);  // "auth include" takes only auth lines
  EXPECT_EQ((*only_auth)[0].module, "pam_faillock.so");
}

}  // namespace
}  // namespace shoko::collectors::access
