#include "collectors/access/accounts.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <set>

#include "collectors/common/lines.h"

namespace shoko::collectors::access {
namespace {

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t at = 0;
  while (true) {
    const size_t colon = line.find(':', at);
    out.push_back(line.substr(at, colon == std::string_view::npos ? colon : colon - at));
    if (colon == std::string_view::npos) break;
    at = colon + 1;
  }
  return out;
}

std::optional<int64_t> Number(std::string_view s) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

// Calls fn(line_no, line) for every line that is not blank or a comment.
template <typename Fn>
Status EachLine(std::string_view text, Fn fn) {
  return ForEachLine(text, [&](int line_no, std::string_view line) -> Status {
    if (line.empty() || line[0] == '#') return Status::OK();
    return fn(line_no, line);
  });
}

Status BadLine(const std::string& where, int line, const std::string& what) {
  return Status::InvalidArgument(where + ":" + std::to_string(line) + ": " + what);
}

}  // namespace

Result<std::vector<Account>> ParsePasswd(std::string_view text, const std::string& where) {
  std::vector<Account> accounts;
  Status s = EachLine(text, [&](int n, std::string_view line) -> Status {
    // NIS compat entries ("+", "+@group", "-user") name no local account.
    if (line[0] == '+' || line[0] == '-') return Status::OK();
    const auto f = Fields(line);
    if (f.size() != 7) {
      return BadLine(where, n,
                     "expected 7 ':'-separated fields, found " + std::to_string(f.size()));
    }
    auto uid = Number(f[2]), gid = Number(f[3]);
    if (f[0].empty() || !uid || !gid || *uid < 0 || *gid < 0) {
      return BadLine(where, n, "bad name, UID or GID");
    }
    Account a;
    a.name = std::string(f[0]);
    a.uid = *uid;
    a.gid = *gid;
    a.home = std::string(f[5]);
    a.shell = std::string(f[6]);
    // passwd's own password field: "x" defers to shadow; anything else is
    // the (old-style) hash itself.
    if (f[1].empty()) {
      a.password = "none";
    } else if (f[1] != "x") {
      a.password = f[1][0] == '!' || f[1][0] == '*' ? "locked" : "set";
      a.scheme = HashScheme(f[1]);
    }
    accounts.push_back(std::move(a));
    return Status::OK();
  });
  if (!s.ok()) return s;
  return accounts;
}

bool CannotLogIn(std::string_view shell) {
  static const std::set<std::string_view> kNoLogin = {"/usr/sbin/nologin", "/sbin/nologin",
                                                      "/bin/false",        "/usr/bin/false",
                                                      "/bin/true",         "/usr/bin/true"};
  return kNoLogin.contains(shell);
}

std::string HashScheme(std::string_view hash) {
  while (!hash.empty() && (hash[0] == '!' || hash[0] == '*')) hash.remove_prefix(1);
  if (hash.empty()) return "";
  static const std::pair<const char*, const char*> kIds[] = {
      {"$y$", "yescrypt"}, {"$gy$", "gost-yescrypt"}, {"$7$", "scrypt"},  {"$6$", "sha512"},
      {"$5$", "sha256"},   {"$2b$", "bcrypt"},        {"$2y$", "bcrypt"}, {"$2a$", "bcrypt"},
      {"$1$", "md5"},      {"$sha1$", "sha1crypt"},   {"$md5", "sunmd5"},
  };
  for (const auto& [prefix, name] : kIds) {
    if (hash.starts_with(prefix)) return name;
  }
  if (hash.size() == 13 && hash[0] != '$') return "des";
  return hash[0] == '$' ? "unknown" : "";
}

Status MergeShadow(std::string_view text, const std::string& where,
                   std::vector<Account>* accounts) {
  // By name, so that a large file costs linear time; the last passwd entry of
  // a duplicated name gets the shadow values, as a lookup by name would.
  std::map<std::string, Account*, std::less<>> by_name;
  for (Account& a : *accounts) by_name[a.name] = &a;
  return EachLine(text, [&](int n, std::string_view line) -> Status {
    if (line[0] == '+' || line[0] == '-') return Status::OK();
    const auto f = Fields(line);
    if (f.size() != 9) {
      return BadLine(where, n,
                     "expected 9 ':'-separated fields, found " + std::to_string(f.size()));
    }
    auto found = by_name.find(f[0]);
    if (found == by_name.end()) return Status::OK();  // shadow without passwd: no account
    Account* a = found->second;
    const std::string_view hash = f[1];
    a->password = hash.empty() ? "none" : (hash[0] == '!' || hash[0] == '*') ? "locked" : "set";
    a->scheme = HashScheme(hash);
    auto field = [&](size_t i, std::optional<int64_t>* out) -> Status {
      if (f[i].empty()) return Status::OK();
      auto v = Number(f[i]);
      if (!v) return BadLine(where, n, "field " + std::to_string(i + 1) + " is not a number");
      *out = *v;
      return Status::OK();
    };
    for (auto [i, out] : {std::pair{size_t{2}, &a->last_change_days},
                          {3, &a->min_days},
                          {4, &a->max_days},
                          {5, &a->warn_days},
                          {6, &a->inactive_days},
                          {7, &a->expire_days}}) {
      if (Status s = field(i, out); !s.ok()) return s;
    }
    return Status::OK();
  });
}

Result<std::map<std::string, std::vector<std::string>>> ParseGroup(
    std::string_view text, const std::string& where, std::map<int64_t, std::string>* names) {
  std::map<std::string, std::vector<std::string>> groups;
  Status s = EachLine(text, [&](int n, std::string_view line) -> Status {
    if (line[0] == '+' || line[0] == '-') return Status::OK();
    const auto f = Fields(line);
    if (f.size() != 4 || f[0].empty() || !Number(f[2])) {
      return BadLine(where, n, "expected 'name:password:GID:members'");
    }
    if (names != nullptr) names->emplace(*Number(f[2]), std::string(f[0]));
    auto& members = groups[std::string(f[0])];
    std::string_view list = f[3];
    while (!list.empty()) {
      const size_t comma = list.find(',');
      std::string_view m = list.substr(0, comma);
      if (!m.empty()) members.emplace_back(m);
      list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return groups;
}

std::map<std::string, std::string> ParseLoginDefs(std::string_view text) {
  std::map<std::string, std::string> values;
  (void)EachLine(text, [&](int, std::string_view line) -> Status {
    const size_t b = line.find_first_not_of(" \t");
    if (b == std::string_view::npos || line[b] == '#') return Status::OK();
    line.remove_prefix(b);
    const size_t sep = line.find_first_of(" \t");
    if (sep == std::string_view::npos) return Status::OK();
    std::string_view value = line.substr(sep);
    value.remove_prefix(std::min(value.size(), value.find_first_not_of(" \t")));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (!value.empty() && value.front() == '"' && value.back() == '"' && value.size() >= 2) {
      value = value.substr(1, value.size() - 2);
    }
    values.emplace(std::string(line.substr(0, sep)), std::string(value));  // first wins
    return Status::OK();
  });
  return values;
}

std::optional<int64_t> LastlogTime(std::string_view lastlog, int64_t uid) {
  constexpr size_t kRecord = 292;
  if (uid < 0 || static_cast<uint64_t>(uid) >= lastlog.size() / kRecord) return std::nullopt;
  int32_t t = 0;
  std::memcpy(&t, lastlog.data() + static_cast<size_t>(uid) * kRecord, sizeof t);
  if (t <= 0) return std::nullopt;
  return t;
}

std::string AccountNames::User(int64_t uid) const {
  auto it = users.find(uid);
  return it == users.end() ? std::to_string(uid) : it->second;
}

std::string AccountNames::Group(int64_t gid) const {
  auto it = groups.find(gid);
  return it == groups.end() ? std::to_string(gid) : it->second;
}

std::map<std::string, int64_t> WtmpLastLogins(std::string_view wtmp) {
  constexpr size_t kRecord = 384, kUser = 44, kUserSize = 32, kTime = 340;
  constexpr int16_t kUserProcess = 7;
  std::map<std::string, int64_t> last;
  for (size_t at = 0; at + kRecord <= wtmp.size(); at += kRecord) {
    int16_t type = 0;
    int32_t seconds = 0;
    std::memcpy(&type, wtmp.data() + at, sizeof type);
    std::memcpy(&seconds, wtmp.data() + at + kTime, sizeof seconds);
    if (type != kUserProcess || seconds <= 0) continue;
    std::string_view user = wtmp.substr(at + kUser, kUserSize);
    user = user.substr(0, user.find('\0'));
    if (user.empty()) continue;
    int64_t& t = last[std::string(user)];
    t = std::max<int64_t>(t, seconds);
  }
  return last;
}

}  // namespace shoko::collectors::access
