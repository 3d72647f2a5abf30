// access.accounts: local accounts from passwd, shadow, group, login.defs and
// lastlog — metadata only, never a hash — and one rule record per question:
// only root has UID 0, no empty passwords, system accounts cannot log in,
// password ageing within the baseline, no dormant accounts (5.16–5.18, 8.2).
#include <chrono>
#include <set>

#include "collectors/access/accounts.h"
#include "collectors/collector.h"

namespace shoko::collectors::access {
namespace {

constexpr char kObservation[] = "access.accounts";
constexpr char kUid0[] = "access.accounts.uid0";
constexpr char kEmpty[] = "access.accounts.empty_password";
constexpr char kSystemShells[] = "access.accounts.system_shells";
constexpr char kMaxAge[] = "access.accounts.password_max_age";
constexpr char kDormant[] = "access.accounts.dormant";
const CollectorDeclaration kDeclaration = InfoObservation(
    kObservation,
    {{kUid0, {}},
     {kEmpty, {}},
     {kSystemShells, {}},
     {kMaxAge, {controls::IntegerKey("max_days", 1, 99999).ByDistribution()}},
     {kDormant, {controls::IntegerKey("max_unused_days", 1, 36500).ByDistribution()}}});
constexpr size_t kMaxFileBytes = 16u << 20;
// lastlog is sparse, one record per UID up to the highest that logged in;
// beyond this its size says nothing useful and it is not read.
constexpr size_t kMaxLastlogBytes = 32u << 20;

std::string List(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

int64_t IntOr(const nlohmann::json& expected, const char* key, int64_t fallback) {
  return expected.is_object() && expected.contains(key) && expected[key].is_number_integer()
             ? expected[key].get<int64_t>()
             : fallback;
}

class AccountsCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kObservation;
    auto all_records = [&](Verdict v, const std::string& message) {
      return SameForAll(obs, kDeclaration.RuleIds(), v, message);
    };
    auto passwd_text = ctx.env.ReadFile("/etc/passwd", kMaxFileBytes);
    if (!passwd_text.ok()) {
      return all_records(
          passwd_text.status().IsNotFound() ? Verdict::kNotApplicable : Verdict::kError,
          passwd_text.status().message());
    }
    auto accounts = ParsePasswd(*passwd_text, ctx.env.Describe("/etc/passwd"));
    if (!accounts.ok()) return all_records(Verdict::kError, accounts.status().message());
    if (auto a = ArtifactOf(ctx.env, "/etc/passwd", *passwd_text); a.ok()) {
      obs.artifacts.push_back(*a);
    }
    // shadow: its digest would fingerprint the hashes, so only its metadata.
    bool have_shadow = false;
    if (auto shadow = ctx.env.ReadFile("/etc/shadow", kMaxFileBytes); shadow.ok()) {
      have_shadow = true;
      Status s = MergeShadow(*shadow, ctx.env.Describe("/etc/shadow"), &*accounts);
      if (!s.ok()) return all_records(Verdict::kError, s.message());
    } else if (!shadow.status().IsNotFound()) {
      return all_records(Verdict::kError, shadow.status().message());
    }
    std::map<std::string, std::string> defs;
    if (auto text = ctx.env.ReadFile("/etc/login.defs", kMaxFileBytes); text.ok()) {
      defs = ParseLoginDefs(*text);
      if (auto a = ArtifactOf(ctx.env, "/etc/login.defs", *text); a.ok()) {
        obs.artifacts.push_back(*a);
      }
    }
    std::map<std::string, std::vector<std::string>> groups;
    if (auto text = ctx.env.ReadFile("/etc/group", kMaxFileBytes); text.ok()) {
      auto parsed = ParseGroup(*text, ctx.env.Describe("/etc/group"));
      if (!parsed.ok()) return all_records(Verdict::kError, parsed.status().message());
      groups = std::move(parsed).value();
    }
    // Last logins: lastlog by UID, and wtmp's login records by name; the later wins.
    bool have_lastlog = false;
    if (auto info = ctx.env.Stat("/var/log/lastlog"); info.ok() && info->size <= kMaxLastlogBytes) {
      if (auto text = ctx.env.ReadFile("/var/log/lastlog", kMaxLastlogBytes); text.ok()) {
        have_lastlog = true;
        for (Account& a : *accounts) a.last_login = LastlogTime(*text, a.uid);
      }
    }
    if (auto text = ctx.env.ReadFile("/var/log/wtmp", kMaxLastlogBytes); text.ok()) {
      have_lastlog = true;
      const auto logins = WtmpLastLogins(*text);
      for (Account& a : *accounts) {
        if (auto it = logins.find(a.name); it != logins.end()) {
          a.last_login = std::max(a.last_login.value_or(0), it->second);
        }
      }
    }
    auto def = [&](const char* key, int64_t fallback) {
      auto it = defs.find(key);
      if (it == defs.end()) return fallback;
      try {
        return static_cast<int64_t>(std::stoll(it->second));
      } catch (const std::exception&) {
        return fallback;
      }
    };
    const int64_t uid_min = def("UID_MIN", 1000);
    const int64_t pass_max_days = def("PASS_MAX_DAYS", 99999);

    nlohmann::json list = nlohmann::json::array();
    for (const Account& a : *accounts) {
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
      list.push_back(std::move(j));
    }
    nlohmann::json admin_groups = nlohmann::json::object();
    for (const char* g : {"sudo", "wheel", "admin"}) {
      if (groups.contains(g)) admin_groups[g] = groups[g];
    }
    obs.verdict = Verdict::kInfo;
    obs.message = std::to_string(accounts->size()) + " local account(s)";
    obs.facts = {
        {"accounts", list},
        {"login_defs",
         {{"UID_MIN", uid_min},
          {"PASS_MAX_DAYS", pass_max_days},
          {"PASS_MIN_DAYS", def("PASS_MIN_DAYS", 0)},
          {"PASS_WARN_AGE", def("PASS_WARN_AGE", 7)},
          {"ENCRYPT_METHOD", defs.contains("ENCRYPT_METHOD") ? defs["ENCRYPT_METHOD"] : ""}}},
        {"admin_groups", admin_groups},
        {"shadow_read", have_shadow},
        {"lastlog_read", have_lastlog}};

    std::vector<Observation> out = {obs};
    auto rule = [&](const char* id, const std::vector<std::string>& offenders,
                    const std::string& pass_message, const std::string& fail_prefix) {
      Observation r =
          RuleRecord(id, kObservation, offenders.empty() ? Verdict::kPass : Verdict::kFail,
                     offenders.empty() ? pass_message : fail_prefix + List(offenders));
      r.facts = {{"accounts", offenders}};
      r.expected = ctx.baseline.ExpectedFor(id);
      r.artifacts = obs.artifacts;
      out.push_back(std::move(r));
    };
    // Only root has UID 0.
    std::vector<std::string> uid0;
    for (const Account& a : *accounts) {
      if (a.uid == 0 && a.name != "root") uid0.push_back(a.name);
    }
    rule(kUid0, uid0, "only root has UID 0", "UID 0 besides root: ");
    // No account anyone can log in to without a password.
    std::vector<std::string> empty;
    for (const Account& a : *accounts) {
      if (a.password == "none") empty.push_back(a.name);
    }
    rule(kEmpty, empty, "no account has an empty password", "empty password: ");
    // System accounts (below UID_MIN) cannot log in; root and the halt/sync
    // accounts whose shells are their purpose excepted.
    std::vector<std::string> shells;
    for (const Account& a : *accounts) {
      static const std::set<std::string> kExempt = {"root", "sync", "shutdown", "halt"};
      if (a.uid < uid_min && !kExempt.contains(a.name) && !CannotLogIn(a.shell) &&
          a.password != "locked") {
        shells.push_back(a.name + " (" + a.shell + ")");
      }
    }
    rule(kSystemShells, shells, "every system account is locked or has a non-login shell",
         "system accounts with a login shell and a usable password: ");
    // Password ageing: login.defs for new accounts, shadow for each existing one.
    const int64_t max_age = IntOr(ctx.baseline.ExpectedFor(kMaxAge), "max_days", 365);
    std::vector<std::string> ageing;
    if (pass_max_days > max_age) {
      ageing.push_back("login.defs PASS_MAX_DAYS " + std::to_string(pass_max_days));
    }
    for (const Account& a : *accounts) {
      if (a.password != "set") continue;
      if (!a.max_days || *a.max_days > max_age || *a.max_days < 0) {
        ageing.push_back(a.name + " (max " +
                         (a.max_days ? std::to_string(*a.max_days) : std::string("unset")) + ")");
      }
    }
    rule(kMaxAge, ageing,
         "passwords expire within " + std::to_string(max_age) + " days, new ones too",
         "password max age above " + std::to_string(max_age) + " days: ");
    // Dormant: a login-capable account with a password and no login for longer
    // than the baseline allows (5.18 access review). Needs lastlog.
    const int64_t dormant_days = IntOr(ctx.baseline.ExpectedFor(kDormant), "max_unused_days", 90);
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::vector<std::string> dormant;
    for (const Account& a : *accounts) {
      if (a.uid < uid_min || a.password != "set" || CannotLogIn(a.shell)) continue;
      if (!have_lastlog) continue;
      if (!a.last_login) {
        // Never logged in: dormant once the password itself is old.
        if (a.last_change_days && now / 86400 - *a.last_change_days > dormant_days) {
          dormant.push_back(a.name + " (never logged in)");
        }
      } else if ((now - *a.last_login) / 86400 > dormant_days) {
        dormant.push_back(a.name + " (" + std::to_string((now - *a.last_login) / 86400) + " days)");
      }
    }
    rule(kDormant, dormant,
         have_lastlog
             ? "no login account unused for more than " + std::to_string(dormant_days) + " days"
             : "no lastlog or wtmp here: last logins unknown",
         "unused for more than " + std::to_string(dormant_days) + " days: ");
    if (!have_lastlog) out.back().verdict = Verdict::kNotApplicable;
    return out;
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, AccountsCollector);

}  // namespace shoko::collectors::access
