// The whole access family on the Debian 12, Ubuntu 24.04 and RHEL 9 roots:
// every verdict stated (file modes aside: git checks files out 0644).
#include <gtest/gtest.h>

#include <map>

#include "collectors/collector.h"
#include "controls/baseline.h"
#include "platform/env.h"
#include "tests/collectors/collect_one.h"
#include "tests/support/temp_dir.h"

namespace shoko::collectors::access {
namespace {

using testing::FixturePath;

std::string Verdicts(const std::string& fixture) {
  std::map<std::string, std::string> all;
  for (const char* c : {"access.accounts", "access.password_policy", "access.ssh_keys",
                        "access.sshd", "access.sudo"}) {
    for (const Observation& o : testing::CollectAt(c, FixturePath(fixture))) {
      all[o.check_id] = std::string(VerdictName(o.verdict));
    }
  }
  std::string out;
  for (const auto& [id, v] : all) {
    if (v == "fail") out += id + " ";
  }
  return out;
}

TEST(AccessFamilyTest, FailuresOnEachDistributionsDefaults) {
  // Debian 12 with an operator's additions (a backdoor UID 0, a deploy user
  // without a password, weak keys, NOPASSWD rules).
  EXPECT_EQ(Verdicts("debian12-accounts"),
            "access.accounts.empty_password "
            "access.accounts.password_max_age access.accounts.system_shells access.accounts.uid0 "
            "access.password_policy.ageing access.password_policy.history "
            "access.password_policy.lockout access.password_policy.nullok "
            "access.password_policy.quality access.ssh_keys access.sshd.client_alive_interval "
            "access.sshd.login_grace_time access.sshd.macs access.sshd.max_auth_tries "
            "access.sshd.password_authentication access.sshd.permit_root_login "
            "access.sudo.authenticate access.sudo.nopasswd access.sudo.timestamp_timeout ");
  // (access.accounts.dormant is not_applicable: the committed root has no lastlog.)
}

TEST(AccessFamilyTest, Ubuntu2404CloudImage) {
  // PASS_MAX_DAYS 99999 in login.defs fails the ageing rule alone; every
  // account's own shadow maximum is within the baseline.
  EXPECT_EQ(Verdicts("ubuntu2404-access"),
            "access.password_policy.ageing "
            "access.password_policy.history access.password_policy.lockout "
            "access.password_policy.nullok access.password_policy.quality "
            "access.sshd.client_alive_interval access.sshd.login_grace_time access.sshd.macs "
            "access.sshd.max_auth_tries access.sshd.permit_root_login access.sshd.x11_forwarding "
            "access.sudo.logfile access.sudo.nopasswd ");
}

TEST(AccessFamilyTest, Rhel9WithCisPamButDefaultSshd) {
  EXPECT_EQ(Verdicts("rhel9-access"),
            "access.sshd.client_alive_interval access.sshd.login_grace_time "
            "access.sshd.max_auth_tries access.sshd.password_authentication "
            "access.sshd.permit_root_login access.sshd.x11_forwarding access.sudo.logfile "
            "access.sudo.nopasswd access.sudo.use_pty ");
}

}  // namespace
}  // namespace shoko::collectors::access
