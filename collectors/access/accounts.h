// Local accounts as the passwd, shadow and group files, login.defs and
// lastlog describe them: metadata only. A password hash is read to learn its
// state and scheme and goes no further; nothing here keeps it.
#ifndef SHOKO_COLLECTORS_ACCESS_ACCOUNTS_H_
#define SHOKO_COLLECTORS_ACCESS_ACCOUNTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/env.h"
#include "platform/status.h"

namespace shoko::collectors::access {

struct Account {
  std::string name;
  int64_t uid = 0;
  int64_t gid = 0;
  std::string home;
  std::string shell;
  // From shadow (or passwd's own field when shadow has no entry):
  // "none" (empty: anyone logs in), "locked" (! or * first), "set".
  std::string password = "locked";
  std::string scheme;  // yescrypt, sha512, sha256, md5, bcrypt, des…; empty when none
  std::optional<int64_t> last_change_days;  // days since 1970-01-01
  std::optional<int64_t> min_days, max_days, warn_days, inactive_days, expire_days;
  std::optional<int64_t> last_login;  // seconds since the epoch, from lastlog or wtmp
};

// passwd(5): "name:x:uid:gid:gecos:home:shell". Errors name the line.
Result<std::vector<Account>> ParsePasswd(std::string_view text, const std::string& where);

// Whether `shell` refuses logins (nologin, false, true). An empty shell is
// /bin/sh (passwd(5)), so it does not.
bool CannotLogIn(std::string_view shell);

// shadow(5) merged into `accounts` by name. Errors name the line; the message
// never quotes a line, which would carry the hash.
Status MergeShadow(std::string_view text, const std::string& where, std::vector<Account>* accounts);

// The scheme of a crypt(3) hash ("$y$…" → yescrypt), after any "!" lock.
std::string HashScheme(std::string_view hash);

// group(5): group name → member names (the group's own list, not primary
// gids); with `names`, also GID → group name.
Result<std::map<std::string, std::vector<std::string>>> ParseGroup(
    std::string_view text, const std::string& where,
    std::map<int64_t, std::string>* names = nullptr);

// login.defs(5): KEY VALUE lines, keys as written.
std::map<std::string, std::string> ParseLoginDefs(std::string_view text);

// lastlog: one 292-byte record per UID (int32 time, line[32], host[256]);
// the time for `uid`, when the file has a non-zero one.
std::optional<int64_t> LastlogTime(std::string_view lastlog, int64_t uid);

// A root's own account names, for showing file owners: UID → user and
// GID → group from its passwd and group (a file that is absent or does not
// parse leaves its map empty; an id without a name shows as the number).
// host_files.h reads them once per sweep.
struct AccountNames {
  std::map<int64_t, std::string> users, groups;
  std::string User(int64_t uid) const;
  std::string Group(int64_t gid) const;
};

// wtmp: 384-byte utmp records (glibc's layout, 32-bit times); for each user,
// the latest USER_PROCESS login time. A trailing partial record is ignored.
std::map<std::string, int64_t> WtmpLastLogins(std::string_view wtmp);

}  // namespace shoko::collectors::access

#endif  // SHOKO_COLLECTORS_ACCESS_ACCOUNTS_H_
