// The access family's host files, read and parsed once per sweep (the
// context's SweepCache): passwd is parsed once, not by accounts, SSH keys,
// sudo, file permissions and the declarative checks each.
#ifndef SHOKO_COLLECTORS_ACCESS_HOST_FILES_H_
#define SHOKO_COLLECTORS_ACCESS_HOST_FILES_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "collectors/access/accounts.h"
#include "collectors/access/sshd_config.h"
#include "collectors/access/sudoers.h"
#include "collectors/collector.h"

namespace shoko::collectors::access {

// /etc/passwd's accounts; the read error (NotFound when absent) or the line
// that does not parse otherwise.
const Result<std::vector<Account>>& PasswdOf(const CollectContext& ctx);

// /etc/group: each group's member list, and GID → group name.
struct Groups {
  std::map<std::string, std::vector<std::string>> members;
  std::map<int64_t, std::string> names;
};
const Result<Groups>& GroupsOf(const CollectContext& ctx);

// /etc/login.defs's settings; empty when it cannot be read.
const std::map<std::string, std::string>& LoginDefsOf(const CollectContext& ctx);

// The root's own account names (passwd and group), for showing file owners.
const AccountNames& AccountNamesOf(const CollectContext& ctx);

// The effective sshd configuration read from `path` (LoadSshdConfig).
const Result<SshdConfig>& SshdConfigOf(const CollectContext& ctx,
                                       const std::string& path = kSshdConfigPath);

// /etc/sudoers and what it includes (LoadSudoers).
const Result<SudoersPolicy>& SudoersOf(const CollectContext& ctx);

}  // namespace shoko::collectors::access

#endif  // SHOKO_COLLECTORS_ACCESS_HOST_FILES_H_
