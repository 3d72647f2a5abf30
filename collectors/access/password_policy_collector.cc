// access.password_policy: the PAM password and auth stacks (pam_pwquality
// with pwquality.conf and its .d, pam_faillock with faillock.conf,
// pam_pwhistory, pam_unix's nullok and hash method) and login.defs, each
// baseline question its own rule record (5.17, 8.5; IA-5(1), AC-7).
#include <algorithm>

#include "collectors/access/accounts.h"
#include "collectors/access/pam.h"
#include "collectors/collector.h"
#include "platform/host_identity.h"

namespace shoko::collectors::access {
namespace {

constexpr char kObservation[] = "access.password_policy";
constexpr char kQuality[] = "access.password_policy.quality";
constexpr char kLockout[] = "access.password_policy.lockout";
constexpr char kHistory[] = "access.password_policy.history";
constexpr char kNullok[] = "access.password_policy.nullok";
constexpr char kAgeing[] = "access.password_policy.ageing";
constexpr char kHashing[] = "access.password_policy.hashing";
using controls::IntegerKey;
const CollectorDeclaration kDeclaration = InfoObservation(
    kObservation,
    {{kQuality,
      {IntegerKey("min_length", 1, 512).ByDistribution(),
       IntegerKey("min_classes", 0, 4).ByDistribution()}},
     {kLockout,
      {IntegerKey("max_deny", 1, 1000).ByDistribution(),
       IntegerKey("min_unlock_time", 0, 31536000).ByDistribution()}},
     {kHistory, {IntegerKey("min_remember", 0, 400).ByDistribution()}},
     {kNullok, {controls::BooleanKey("allowed").ByDistribution()}},
     {kAgeing,
      {IntegerKey("max_days", 1, 99999).ByDistribution(),
       IntegerKey("min_days", 0, 99999).ByDistribution(),
       IntegerKey("min_warn_days", 0, 99999).ByDistribution()}},
     {kHashing,
      {controls::StringListKey("allowed", {"yescrypt", "gost_yescrypt", "sha512", "sha256",
                                           "blowfish", "bcrypt", "md5", "bigcrypt", "des"})
           .ByDistribution()}}});

// A module's arguments as key → value ("nullok" → "").
std::map<std::string, std::string> ArgMap(const std::vector<std::string>& args) {
  std::map<std::string, std::string> out;
  for (const std::string& a : args) {
    const size_t eq = a.find('=');
    out[a.substr(0, eq)] = eq == std::string::npos ? "" : a.substr(eq + 1);
  }
  return out;
}

long long Int(const std::map<std::string, std::string>& m, const std::string& key,
              long long fallback) {
  auto it = m.find(key);
  if (it == m.end()) return fallback;
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    return fallback;
  }
}

// A baseline number. Values keyed by distribution are resolved for the host
// before the sweep (Baseline::ForHost).
std::optional<long long> Number(const nlohmann::json& expected, const char* key) {
  if (!expected.is_object() || !expected.contains(key) || !expected[key].is_number_integer())
    return std::nullopt;
  return expected[key].get<long long>();
}

class PasswordPolicyCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kObservation;
    auto records = [&](Verdict v, const std::string& message) {
      return SameForAll(obs, kDeclaration.RuleIds(), v, message);
    };
    // Debian and Ubuntu keep the shared stacks in common-*, the RHEL family
    // in system-auth and password-auth (authselect).
    std::vector<std::string> services;
    for (const char* s : {"common-auth", "common-password", "system-auth", "password-auth"}) {
      if (ctx.env.Stat(std::string("/etc/pam.d/") + s).ok()) services.push_back(s);
    }
    if (services.empty()) {
      return records(ctx.env.Stat("/etc/pam.d").ok() ? Verdict::kError : Verdict::kNotApplicable,
                     "no shared PAM stack (common-auth/common-password or system-auth/"
                     "password-auth) under " +
                         ctx.env.Describe("/etc/pam.d"));
    }
    std::vector<PamLine> stack;
    for (const std::string& s : services) {
      auto lines = LoadPamStack(ctx.env, s);
      if (!lines.ok()) return records(Verdict::kError, lines.status().message());
      if (auto a = ArtifactOf(ctx.env, "/etc/pam.d/" + s); a.ok()) obs.artifacts.push_back(*a);
      stack.insert(stack.end(), lines->begin(), lines->end());
    }
    auto find = [&](const std::string& type, const std::string& module) -> const PamLine* {
      for (const PamLine& l : stack) {
        if (l.type == type && l.module == module) return &l;
      }
      return nullptr;
    };
    // `main`, then the *.conf of `dir` (if any) in name order, later values winning.
    auto read_conf = [&](const std::string& main, const std::string& dir) {
      std::map<std::string, std::string> values;
      std::vector<std::string> files = {main};
      std::vector<std::string> names;
      if (!dir.empty()) {
        if (auto listed = ctx.env.ListDir(dir); listed.ok()) names = *listed;
      }
      std::sort(names.begin(), names.end());
      for (const std::string& n : names) {
        if (n.ends_with(".conf")) files.push_back(dir + "/" + n);
      }
      for (const std::string& f : files) {
        auto text = ctx.env.ReadFile(f, 1 << 20);
        if (!text.ok()) continue;
        if (auto a = ArtifactOf(ctx.env, f, *text); a.ok()) obs.artifacts.push_back(*a);
        for (auto& [k, v] : ParseKeyValueConf(*text)) values[k] = v;
      }
      return values;
    };
    const std::vector<std::string> ids =
        platform::DistributionIds(platform::ReadHostIdentity(ctx.env));

    // pam_pwquality: pwquality.conf, its .d, then the module's arguments.
    const PamLine* pwq = find("password", "pam_pwquality.so");
    if (pwq == nullptr) pwq = find("password", "pam_cracklib.so");
    auto quality = read_conf("/etc/security/pwquality.conf", "/etc/security/pwquality.conf.d");
    if (pwq != nullptr) {
      for (auto& [k, v] : ArgMap(pwq->args)) quality[k] = v;
    }
    const long long minlen = Int(quality, "minlen", 8);  // libpwquality's defaults
    long long classes = Int(quality, "minclass", 0);
    long long required = 0;
    for (const char* credit : {"dcredit", "ucredit", "lcredit", "ocredit"}) {
      required += Int(quality, credit, 0) < 0;
    }
    classes = std::max(classes, required);

    // pam_faillock: faillock.conf, then arguments of its auth lines.
    const PamLine* faillock = find("auth", "pam_faillock.so");
    auto lock = read_conf("/etc/security/faillock.conf", "");
    for (const PamLine& l : stack) {
      if (l.type == "auth" && l.module == "pam_faillock.so") {
        for (auto& [k, v] : ArgMap(l.args)) lock[k] = v;
      }
    }
    const long long deny = Int(lock, "deny", 3);
    const long long unlock = Int(lock, "unlock_time", 600);

    // History: pam_pwhistory's remember (its argument, else pwhistory.conf),
    // or pam_unix's.
    long long remember = 0;
    std::string history_module;
    std::optional<std::map<std::string, std::string>> pwhistory;  // read on first use
    for (const PamLine& l : stack) {
      if (l.type != "password") continue;
      if (l.module == "pam_pwhistory.so" || l.module == "pam_unix.so") {
        auto args = ArgMap(l.args);
        long long r = Int(args, "remember", 0);
        if (l.module == "pam_pwhistory.so") {
          if (!pwhistory) pwhistory = read_conf("/etc/security/pwhistory.conf", "");
          r = Int(args, "remember", Int(*pwhistory, "remember", 10));
        }
        if (r > remember) {
          remember = r;
          history_module = l.module;
        }
      }
    }
    // nullok on pam_unix lets an empty password through.
    std::vector<std::string> nullok;
    for (const PamLine& l : stack) {
      if (l.module == "pam_unix.so" && (l.type == "auth" || l.type == "password") &&
          std::find(l.args.begin(), l.args.end(), "nullok") != l.args.end()) {
        nullok.push_back(l.file + ":" + std::to_string(l.line));
      }
    }
    // Hashing: pam_unix's method in the password stack, login.defs's ENCRYPT_METHOD.
    std::string pam_method;
    if (const PamLine* unix_pw = find("password", "pam_unix.so")) {
      for (const char* m : {"yescrypt", "sha512", "sha256", "blowfish", "gost_yescrypt", "md5",
                            "bigcrypt", "des"}) {
        if (std::find(unix_pw->args.begin(), unix_pw->args.end(), m) != unix_pw->args.end()) {
          pam_method = m;
        }
      }
    }
    std::map<std::string, std::string> defs;
    if (auto text = ctx.env.ReadFile("/etc/login.defs", 1 << 20); text.ok()) {
      defs = ParseLoginDefs(*text);
      if (auto a = ArtifactOf(ctx.env, "/etc/login.defs", *text); a.ok())
        obs.artifacts.push_back(*a);
    }
    auto def = [&](const char* key, long long fallback) { return Int(defs, key, fallback); };
    std::string encrypt = defs.contains("ENCRYPT_METHOD") ? defs["ENCRYPT_METHOD"] : "";
    for (char& c : encrypt) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

    obs.verdict = Verdict::kInfo;
    obs.message = "PAM stacks " + [&] {
      std::string s;
      for (const std::string& v : services) s += (s.empty() ? "" : ", ") + v;
      return s;
    }();
    obs.facts = {
        {"services", services},
        {"distribution", ids},
        {"pwquality",
         {{"module", pwq != nullptr ? pwq->module : ""}, {"minlen", minlen}, {"classes", classes}}},
        {"faillock",
         {{"in_auth_stack", faillock != nullptr}, {"deny", deny}, {"unlock_time", unlock}}},
        {"history", {{"module", history_module}, {"remember", remember}}},
        {"nullok", nullok},
        {"hashing", {{"pam_unix", pam_method}, {"login_defs", encrypt}}},
        {"login_defs",
         {{"PASS_MAX_DAYS", def("PASS_MAX_DAYS", 99999)},
          {"PASS_MIN_DAYS", def("PASS_MIN_DAYS", 0)},
          {"PASS_WARN_AGE", def("PASS_WARN_AGE", 7)}}}};

    std::vector<Observation> out = {obs};
    auto rule = [&](const char* id, const std::vector<std::string>& problems,
                    const std::string& pass_message) {
      std::string message;
      for (const std::string& p : problems) message += (message.empty() ? "" : "; ") + p;
      Observation r =
          RuleRecord(id, kObservation, problems.empty() ? Verdict::kPass : Verdict::kFail,
                     problems.empty() ? pass_message : message);
      r.expected = ctx.baseline.ExpectedFor(id);
      r.artifacts = obs.artifacts;
      out.push_back(std::move(r));
    };
    const nlohmann::json& eq = ctx.baseline.ExpectedFor(kQuality);
    const long long want_len = Number(eq, "min_length").value_or(14);
    const long long want_classes = Number(eq, "min_classes").value_or(4);
    std::vector<std::string> q;
    if (pwq == nullptr) q.push_back("no pam_pwquality in the password stack");
    if (pwq != nullptr && minlen < want_len) {
      q.push_back("minlen " + std::to_string(minlen) + " (baseline " + std::to_string(want_len) +
                  ")");
    }
    if (pwq != nullptr && classes < want_classes) {
      q.push_back(std::to_string(classes) + " character class(es) required (baseline " +
                  std::to_string(want_classes) + ")");
    }
    rule(kQuality, q,
         "pam_pwquality: minlen " + std::to_string(minlen) + ", " + std::to_string(classes) +
             " classes");

    const nlohmann::json& el = ctx.baseline.ExpectedFor(kLockout);
    const long long max_deny = Number(el, "max_deny").value_or(5);
    const long long min_unlock = Number(el, "min_unlock_time").value_or(900);
    std::vector<std::string> l;
    if (faillock == nullptr) l.push_back("no pam_faillock in the auth stack");
    if (faillock != nullptr && (deny <= 0 || deny > max_deny)) {
      l.push_back("deny " + std::to_string(deny) + " (baseline 1 to " + std::to_string(max_deny) +
                  ")");
    }
    if (faillock != nullptr && unlock != 0 && unlock < min_unlock) {
      l.push_back("unlock_time " + std::to_string(unlock) + " s (baseline at least " +
                  std::to_string(min_unlock) + ", or 0: never)");
    }
    rule(kLockout, l,
         "pam_faillock: deny " + std::to_string(deny) + ", unlock_time " + std::to_string(unlock));

    const long long want_remember =
        Number(ctx.baseline.ExpectedFor(kHistory), "min_remember").value_or(24);
    rule(kHistory,
         remember >= want_remember
             ? std::vector<std::string>{}
             : std::vector<
                   std::string>{history_module.empty()
                                    ? "no password history (pam_pwhistory or pam_unix remember=)"
                                    : history_module + " remembers " + std::to_string(remember) +
                                          " (baseline " + std::to_string(want_remember) + ")"},
         history_module + " remembers " + std::to_string(remember));

    std::vector<std::string> n;
    for (const std::string& where : nullok) n.push_back("pam_unix nullok at " + where);
    const nlohmann::json& en = ctx.baseline.ExpectedFor(kNullok);
    if (en.is_object() && en.value("allowed", false) == true) n.clear();
    rule(kNullok, n,
         nullok.empty() ? "pam_unix never accepts an empty password"
                        : "pam_unix nullok, which the baseline allows");

    const nlohmann::json& ea = ctx.baseline.ExpectedFor(kAgeing);
    std::vector<std::string> a;
    const long long max_days = def("PASS_MAX_DAYS", 99999), min_days = def("PASS_MIN_DAYS", 0),
                    warn = def("PASS_WARN_AGE", 7);
    if (max_days > Number(ea, "max_days").value_or(365)) {
      a.push_back("PASS_MAX_DAYS " + std::to_string(max_days));
    }
    if (min_days < Number(ea, "min_days").value_or(1)) {
      a.push_back("PASS_MIN_DAYS " + std::to_string(min_days));
    }
    if (warn < Number(ea, "min_warn_days").value_or(7)) {
      a.push_back("PASS_WARN_AGE " + std::to_string(warn));
    }
    rule(kAgeing, a, "login.defs ageing within the baseline");

    std::vector<std::string> allowed = {"yescrypt", "sha512"};
    if (const nlohmann::json& eh = ctx.baseline.ExpectedFor(kHashing);
        eh.is_object() && eh.contains("allowed") && eh["allowed"].is_array()) {
      allowed.clear();
      for (const auto& v : eh["allowed"]) {
        if (!v.is_string()) continue;
        std::string s = v.get<std::string>();
        for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        allowed.push_back(s);
      }
    }
    auto ok_method = [&](const std::string& m) {
      return std::find(allowed.begin(), allowed.end(), m) != allowed.end();
    };
    std::vector<std::string> h;
    if (!pam_method.empty() && !ok_method(pam_method))
      h.push_back("pam_unix hashes with " + pam_method);
    if (!encrypt.empty() && !ok_method(encrypt))
      h.push_back("login.defs ENCRYPT_METHOD " + encrypt);
    if (pam_method.empty() && encrypt.empty()) {
      h.push_back("no hash method set in pam_unix or login.defs");
    }
    rule(kHashing, h,
         "hashing with " + (pam_method.empty() ? encrypt : pam_method) + " (pam_unix " +
             (pam_method.empty() ? "default" : pam_method) + ", login.defs " +
             (encrypt.empty() ? "unset" : encrypt) + ")");
    return out;
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, PasswordPolicyCollector);

}  // namespace shoko::collectors::access
