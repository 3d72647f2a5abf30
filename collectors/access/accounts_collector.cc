// access.accounts: local accounts from passwd, shadow, group, login.defs and
// lastlog — metadata only, never a hash — and one rule record per question:
// only root has UID 0, no empty passwords, system accounts cannot log in,
// each password's shadow maximum within the baseline, no dormant accounts
// (5.16–5.18, 8.2). login.defs's PASS_MAX_DAYS, for new accounts, is
// access.password_policy.ageing's to judge.
#include <chrono>
#include <set>

#include "collectors/access/accounts.h"
#include "collectors/access/host_files.h"
#include "collectors/collector.h"
#include "collectors/rules.h"
#include "platform/strings.h"

namespace shoko::collectors::access {
namespace {

constexpr char kObservation[] = "access.accounts";
constexpr size_t kMaxFileBytes = 16u << 20;
// lastlog is sparse, one record per UID up to the highest that logged in;
// beyond this its size says nothing useful and it is not read.
constexpr size_t kMaxLastlogBytes = 32u << 20;

// What the rules judge: the accounts with their shadow and last-login data.
struct AccountFacts {
  std::vector<Account> accounts;
  int64_t uid_min = 1000;  // login.defs's UID_MIN (shadow-utils' own default)
  bool have_lastlog = false;
  int64_t now = 0;  // seconds since the epoch
};

// `offenders` as a rule's conclusion, and as its facts.
Judgement Offenders(const std::vector<std::string>& offenders, std::string pass_message,
                    const std::string& fail_prefix) {
  Judgement j = offenders.empty()
                    ? Judgement{Verdict::kPass, std::move(pass_message)}
                    : Judgement{Verdict::kFail, fail_prefix + platform::Join(offenders, ", ")};
  j.facts = {{"accounts", offenders}};
  return j;
}

// Only root has UID 0.
Result<Judgement> Uid0(const AccountFacts& f, const Expected&) {
  std::vector<std::string> uid0;
  for (const Account& a : f.accounts) {
    if (a.uid == 0 && a.name != "root") uid0.push_back(a.name);
  }
  return Offenders(uid0, "only root has UID 0", "UID 0 besides root: ");
}

// No account anyone can log in to without a password.
Result<Judgement> EmptyPassword(const AccountFacts& f, const Expected&) {
  std::vector<std::string> empty;
  for (const Account& a : f.accounts) {
    if (a.password == "none") empty.push_back(a.name);
  }
  return Offenders(empty, "no account has an empty password", "empty password: ");
}

// System accounts (below UID_MIN) cannot log in; root and the halt/sync
// accounts whose shells are their purpose excepted.
Result<Judgement> SystemShells(const AccountFacts& f, const Expected&) {
  static const std::set<std::string> kExempt = {"root", "sync", "shutdown", "halt"};
  std::vector<std::string> shells;
  for (const Account& a : f.accounts) {
    if (a.uid < f.uid_min && !kExempt.contains(a.name) && !CannotLogIn(a.shell) &&
        a.password != "locked") {
      shells.push_back(a.name + " (" + a.shell + ")");
    }
  }
  return Offenders(shells, "every system account is locked or has a non-login shell",
                   "system accounts with a login shell and a usable password: ");
}

const controls::BaselineKey kMaxDays = controls::IntegerKey("max_days", 1, 99999).ByDistribution();

// Each set password's own maximum age in shadow (login.defs's PASS_MAX_DAYS
// for new accounts is access.password_policy.ageing's).
Result<Judgement> PasswordMaxAge(const AccountFacts& f, const Expected& e) {
  SHOKO_ASSIGN_OR_RETURN(const int64_t max_age, e.Integer(kMaxDays));
  std::vector<std::string> ageing;
  for (const Account& a : f.accounts) {
    if (a.password != "set") continue;
    if (!a.max_days || *a.max_days > max_age || *a.max_days < 0) {
      ageing.push_back(a.name + " (max " +
                       (a.max_days ? std::to_string(*a.max_days) : std::string("unset")) + ")");
    }
  }
  return Offenders(
      ageing, "every set password's shadow maximum is within " + std::to_string(max_age) + " days",
      "shadow password maximum above " + std::to_string(max_age) + " days: ");
}

const controls::BaselineKey kMaxUnusedDays =
    controls::IntegerKey("max_unused_days", 1, 36500).ByDistribution();

// A login-capable account with a password and no login for longer than the
// baseline allows (5.18 access review). Needs lastlog or wtmp.
Result<Judgement> Dormant(const AccountFacts& f, const Expected& e) {
  SHOKO_ASSIGN_OR_RETURN(const int64_t days, e.Integer(kMaxUnusedDays));
  std::vector<std::string> dormant;
  for (const Account& a : f.accounts) {
    if (a.uid < f.uid_min || a.password != "set" || CannotLogIn(a.shell)) continue;
    if (!f.have_lastlog) continue;
    if (!a.last_login) {
      // Never logged in: dormant once the password itself is old.
      if (a.last_change_days && f.now / 86400 - *a.last_change_days > days) {
        dormant.push_back(a.name + " (never logged in)");
      }
    } else if ((f.now - *a.last_login) / 86400 > days) {
      dormant.push_back(a.name + " (" + std::to_string((f.now - *a.last_login) / 86400) + " days)");
    }
  }
  Judgement j = Offenders(
      dormant,
      f.have_lastlog ? "no login account unused for more than " + std::to_string(days) + " days"
                     : "no lastlog or wtmp here: last logins unknown",
      "unused for more than " + std::to_string(days) + " days: ");
  if (!f.have_lastlog) j.verdict = Verdict::kNotApplicable;
  return j;
}

const std::vector<Rule<AccountFacts>> kRules = {
    {{"access.accounts.uid0", {}}, Uid0},
    {{"access.accounts.empty_password", {}}, EmptyPassword},
    {{"access.accounts.system_shells", {}}, SystemShells},
    {{"access.accounts.password_max_age", {kMaxDays}}, PasswordMaxAge},
    {{"access.accounts.dormant", {kMaxUnusedDays}}, Dormant},
};
const CollectorDeclaration kDeclaration = InfoObservation(kObservation, DeclarationsOf(kRules));

// Last logins: lastlog by UID, and wtmp's login records by name; the later
// wins. Whether either could be read.
bool ReadLastLogins(const platform::Env& env, std::vector<Account>* accounts) {
  bool read = false;
  if (auto info = env.Stat("/var/log/lastlog"); info.ok() && info->size <= kMaxLastlogBytes) {
    if (auto text = env.ReadFile("/var/log/lastlog", kMaxLastlogBytes); text.ok()) {
      read = true;
      for (Account& a : *accounts) a.last_login = LastlogTime(*text, a.uid);
    }
  }
  if (auto text = env.ReadFile("/var/log/wtmp", kMaxLastlogBytes); text.ok()) {
    read = true;
    const auto logins = WtmpLastLogins(*text);
    for (Account& a : *accounts) {
      if (auto it = logins.find(a.name); it != logins.end()) {
        a.last_login = std::max(a.last_login.value_or(0), it->second);
      }
    }
  }
  return read;
}

// A login.defs number, or shadow-utils' own default when unset or unreadable.
int64_t Def(const std::map<std::string, std::string>& defs, const char* key, int64_t fallback) {
  auto it = defs.find(key);
  if (it == defs.end()) return fallback;
  try {
    return static_cast<int64_t>(std::stoll(it->second));
  } catch (const std::exception&) {
    return fallback;
  }
}

// passwd with shadow merged in (shadow's digest would fingerprint the hashes,
// so it is not an artifact), login.defs and last logins; passwd and
// login.defs become `obs`'s artifacts.
Result<AccountFacts> ReadFacts(const CollectContext& ctx, Observation* obs, bool* have_shadow) {
  const Result<std::vector<Account>>& passwd = PasswdOf(ctx);
  if (!passwd.ok()) return passwd.status();
  AccountFacts f;
  f.accounts = *passwd;
  if (auto a = ArtifactOf(ctx.env, "/etc/passwd", *ReadOnce(ctx, "/etc/passwd")); a.ok()) {
    obs->artifacts.push_back(*a);
  }
  if (auto shadow = ctx.env.ReadFile("/etc/shadow", kMaxFileBytes); shadow.ok()) {
    *have_shadow = true;
    SHOKO_RETURN_IF_ERROR(MergeShadow(*shadow, ctx.env.Describe("/etc/shadow"), &f.accounts));
  } else if (!shadow.status().IsNotFound()) {
    return shadow.status();
  }
  if (const auto& defs = ReadOnce(ctx, "/etc/login.defs"); defs.ok()) {
    if (auto a = ArtifactOf(ctx.env, "/etc/login.defs", *defs); a.ok()) {
      obs->artifacts.push_back(*a);
    }
  }
  if (ReadOnce(ctx, "/etc/group").ok() && !GroupsOf(ctx).ok()) return GroupsOf(ctx).status();
  f.uid_min = Def(LoginDefsOf(ctx), "UID_MIN", 1000);
  f.have_lastlog = ReadLastLogins(ctx.env, &f.accounts);
  f.now = std::chrono::duration_cast<std::chrono::seconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  return f;
}

nlohmann::json AccountJson(const Account& a) {
  nlohmann::json j = {{"name", a.name},    {"uid", a.uid},     {"gid", a.gid},
                      {"home", a.home},    {"shell", a.shell}, {"password", a.password},
                      {"scheme", a.scheme}};
  auto opt = [&](const char* key, const std::optional<int64_t>& v) {
    j[key] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  opt("last_change_days", a.last_change_days);
  opt("min_days", a.min_days);
  opt("max_days", a.max_days);
  opt("warn_days", a.warn_days);
  opt("inactive_days", a.inactive_days);
  opt("expire_days", a.expire_days);
  opt("last_login", a.last_login);
  return j;
}

void Describe(const CollectContext& ctx, const AccountFacts& f, bool have_shadow,
              Observation* obs) {
  nlohmann::json list = nlohmann::json::array();
  for (const Account& a : f.accounts) list.push_back(AccountJson(a));
  nlohmann::json admin_groups = nlohmann::json::object();
  if (const Result<Groups>& groups = GroupsOf(ctx); groups.ok()) {
    for (const char* g : {"sudo", "wheel", "admin"}) {
      if (auto it = groups->members.find(g); it != groups->members.end()) {
        admin_groups[g] = it->second;
      }
    }
  }
  const std::map<std::string, std::string>& defs = LoginDefsOf(ctx);
  auto encrypt = defs.find("ENCRYPT_METHOD");
  obs->verdict = Verdict::kInfo;
  obs->message = std::to_string(f.accounts.size()) + " local account(s)";
  obs->facts = {{"accounts", list},
                {"login_defs",
                 {{"UID_MIN", f.uid_min},
                  {"PASS_MAX_DAYS", Def(defs, "PASS_MAX_DAYS", 99999)},
                  {"PASS_MIN_DAYS", Def(defs, "PASS_MIN_DAYS", 0)},
                  {"PASS_WARN_AGE", Def(defs, "PASS_WARN_AGE", 7)},
                  {"ENCRYPT_METHOD", encrypt == defs.end() ? "" : encrypt->second}}},
                {"admin_groups", admin_groups},
                {"shadow_read", have_shadow},
                {"lastlog_read", f.have_lastlog}};
}

class AccountsCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kObservation;
    bool have_shadow = false;
    auto facts = ReadFacts(ctx, &obs, &have_shadow);
    if (!facts.ok()) {
      // passwd absent: no local accounts to judge; anything else: unknown.
      return SameForAll(obs, kDeclaration.RuleIds(),
                        facts.status().IsNotFound() ? Verdict::kNotApplicable : Verdict::kError,
                        facts.status().message());
    }
    Describe(ctx, *facts, have_shadow, &obs);
    return JudgeAll(kRules, *facts, std::move(obs), ctx.baseline);
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, AccountsCollector);

}  // namespace shoko::collectors::access
