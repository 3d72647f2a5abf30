// access.password_policy: the PAM password and auth stacks (pam_pwquality
// with pwquality.conf and its .d, pam_faillock with faillock.conf,
// pam_pwhistory, pam_unix's nullok and hash method) and login.defs, each
// baseline question its own rule record (5.17, 8.5; IA-5(1), AC-7).
#include <algorithm>

#include "collectors/access/accounts.h"
#include "collectors/access/host_files.h"
#include "collectors/access/pam.h"
#include "collectors/collector.h"
#include "collectors/rules.h"
#include "platform/host_identity.h"
#include "platform/strings.h"

namespace shoko::collectors::access {
namespace {

using controls::BaselineKey;
using controls::IntegerKey;

constexpr char kObservation[] = "access.password_policy";

// A module's arguments as key → value ("nullok" → "").
std::map<std::string, std::string> ArgMap(const std::vector<std::string>& args) {
  std::map<std::string, std::string> out;
  for (const std::string& a : args) {
    const size_t eq = a.find('=');
    out[a.substr(0, eq)] = eq == std::string::npos ? "" : a.substr(eq + 1);
  }
  return out;
}

// A module setting, or the module's own default when unset or not a number.
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

// What the rules judge: the effective settings of the stacks and login.defs.
struct PolicyFacts {
  std::vector<std::string> services;
  std::string quality_module;  // pam_pwquality.so, pam_cracklib.so, or "" when neither
  long long minlen = 0, classes = 0;
  bool faillock = false;  // in the auth stack
  long long deny = 0, unlock = 0;
  std::string history_module;  // pam_pwhistory.so, pam_unix.so, or ""
  long long remember = 0;
  std::vector<std::string> nullok;  // FILE:LINE of each pam_unix nullok
  std::string pam_method, encrypt;  // pam_unix's hash, login.defs's ENCRYPT_METHOD (lower case)
  long long max_days = 0, min_days = 0, warn_age = 0;  // login.defs
};

// Reads the stacks and the modules' files, each file read becoming one of
// the observation's artifacts.
class PolicyReader {
 public:
  PolicyReader(const CollectContext& ctx, Observation* obs) : ctx_(ctx), obs_(obs) {}

  // Debian and Ubuntu keep the shared stacks in common-*, the RHEL family
  // in system-auth and password-auth (authselect). NotFound when none exists.
  Status LoadStacks(PolicyFacts* f) {
    for (const char* s : {"common-auth", "common-password", "system-auth", "password-auth"}) {
      if (ctx_.env.Stat(std::string("/etc/pam.d/") + s).ok()) f->services.push_back(s);
    }
    if (f->services.empty()) {
      return Status::NotFound(
          "no shared PAM stack (common-auth/common-password or system-auth/password-auth) under " +
          ctx_.env.Describe("/etc/pam.d"));
    }
    for (const std::string& s : f->services) {
      SHOKO_ASSIGN_OR_RETURN(std::vector<PamLine> lines, LoadPamStack(ctx_.env, s));
      if (auto a = ArtifactOf(ctx_.env, "/etc/pam.d/" + s); a.ok()) obs_->artifacts.push_back(*a);
      stack_.insert(stack_.end(), lines.begin(), lines.end());
    }
    return Status::OK();
  }

  // pam_pwquality (or pam_cracklib): pwquality.conf, its .d, then the module's arguments.
  void Quality(PolicyFacts* f) {
    const PamLine* pwq = Find("password", "pam_pwquality.so");
    if (pwq == nullptr) pwq = Find("password", "pam_cracklib.so");
    auto quality = ReadConf("/etc/security/pwquality.conf", "/etc/security/pwquality.conf.d");
    if (pwq != nullptr) {
      for (auto& [k, v] : ArgMap(pwq->args)) quality[k] = v;
      f->quality_module = pwq->module;
    }
    f->minlen = Int(quality, "minlen", 8);  // libpwquality's defaults
    long long required = 0;
    for (const char* credit : {"dcredit", "ucredit", "lcredit", "ocredit"}) {
      required += Int(quality, credit, 0) < 0;
    }
    f->classes = std::max(Int(quality, "minclass", 0), required);
  }

  // pam_faillock: faillock.conf, then the arguments of its auth lines.
  void Lockout(PolicyFacts* f) {
    f->faillock = Find("auth", "pam_faillock.so") != nullptr;
    auto lock = ReadConf("/etc/security/faillock.conf", "");
    for (const PamLine& l : stack_) {
      if (l.type == "auth" && l.module == "pam_faillock.so") {
        for (auto& [k, v] : ArgMap(l.args)) lock[k] = v;
      }
    }
    f->deny = Int(lock, "deny", 3);
    f->unlock = Int(lock, "unlock_time", 600);
  }

  // pam_pwhistory's remember (its argument, else pwhistory.conf), or pam_unix's.
  void History(PolicyFacts* f) {
    std::optional<std::map<std::string, std::string>> pwhistory;  // read on first use
    for (const PamLine& l : stack_) {
      if (l.type != "password") continue;
      if (l.module != "pam_pwhistory.so" && l.module != "pam_unix.so") continue;
      auto args = ArgMap(l.args);
      long long r = Int(args, "remember", 0);
      if (l.module == "pam_pwhistory.so") {
        if (!pwhistory) pwhistory = ReadConf("/etc/security/pwhistory.conf", "");
        r = Int(args, "remember", Int(*pwhistory, "remember", 10));
      }
      if (r > f->remember) {
        f->remember = r;
        f->history_module = l.module;
      }
    }
  }

  // nullok on pam_unix, which lets an empty password through; pam_unix's
  // hash method in the password stack.
  void Unix(PolicyFacts* f) {
    for (const PamLine& l : stack_) {
      if (l.module == "pam_unix.so" && (l.type == "auth" || l.type == "password") &&
          std::find(l.args.begin(), l.args.end(), "nullok") != l.args.end()) {
        f->nullok.push_back(l.file + ":" + std::to_string(l.line));
      }
    }
    if (const PamLine* unix_pw = Find("password", "pam_unix.so")) {
      for (const char* m : {"yescrypt", "sha512", "sha256", "blowfish", "gost_yescrypt", "md5",
                            "bigcrypt", "des"}) {
        if (std::find(unix_pw->args.begin(), unix_pw->args.end(), m) != unix_pw->args.end()) {
          f->pam_method = m;
        }
      }
    }
  }

  // login.defs: ageing for new accounts (shadow-utils' defaults when unset), hash method.
  void LoginDefs(PolicyFacts* f) {
    if (const auto& text = ReadOnce(ctx_, "/etc/login.defs"); text.ok()) {
      if (auto a = ArtifactOf(ctx_.env, "/etc/login.defs", *text); a.ok()) {
        obs_->artifacts.push_back(*a);
      }
    }
    const std::map<std::string, std::string>& defs = LoginDefsOf(ctx_);
    f->max_days = Int(defs, "PASS_MAX_DAYS", 99999);
    f->min_days = Int(defs, "PASS_MIN_DAYS", 0);
    f->warn_age = Int(defs, "PASS_WARN_AGE", 7);
    if (auto it = defs.find("ENCRYPT_METHOD"); it != defs.end()) {
      f->encrypt = platform::ToLower(it->second);
    }
  }

 private:
  const PamLine* Find(const std::string& type, const std::string& module) const {
    for (const PamLine& l : stack_) {
      if (l.type == type && l.module == module) return &l;
    }
    return nullptr;
  }

  // `main`, then the *.conf of `dir` (if any) in name order, later values winning.
  std::map<std::string, std::string> ReadConf(const std::string& main, const std::string& dir) {
    std::vector<std::string> files = {main};
    std::vector<std::string> names;
    if (!dir.empty()) {
      if (auto listed = ctx_.env.ListDir(dir); listed.ok()) names = *listed;
    }
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      if (n.ends_with(".conf")) files.push_back(dir + "/" + n);
    }
    std::map<std::string, std::string> values;
    for (const std::string& f : files) {
      auto text = ctx_.env.ReadFile(f, 1 << 20);
      if (!text.ok()) continue;
      if (auto a = ArtifactOf(ctx_.env, f, *text); a.ok()) obs_->artifacts.push_back(*a);
      for (auto& [k, v] : ParseKeyValueConf(*text)) values[k] = v;
    }
    return values;
  }

  const CollectContext& ctx_;
  Observation* obs_;
  std::vector<PamLine> stack_;
};

const BaselineKey kMinLength = IntegerKey("min_length", 1, 512).ByDistribution();
const BaselineKey kMinClasses = IntegerKey("min_classes", 0, 4).ByDistribution();

Result<Judgement> Quality(const PolicyFacts& f, const Expected& e) {
  SHOKO_ASSIGN_OR_RETURN(const int64_t want_len, e.Integer(kMinLength));
  SHOKO_ASSIGN_OR_RETURN(const int64_t want_classes, e.Integer(kMinClasses));
  if (f.quality_module.empty())
    return Judgement{Verdict::kFail, "no pam_pwquality in the password stack"};
  std::vector<std::string> q;
  if (f.minlen < want_len) {
    q.push_back("minlen " + std::to_string(f.minlen) + " (baseline " + std::to_string(want_len) +
                ")");
  }
  if (f.classes < want_classes) {
    q.push_back(std::to_string(f.classes) + " character class(es) required (baseline " +
                std::to_string(want_classes) + ")");
  }
  return PassUnless(q, "pam_pwquality: minlen " + std::to_string(f.minlen) + ", " +
                           std::to_string(f.classes) + " classes");
}

const BaselineKey kMaxDeny = IntegerKey("max_deny", 1, 1000).ByDistribution();
const BaselineKey kMinUnlockTime = IntegerKey("min_unlock_time", 0, 31536000).ByDistribution();

Result<Judgement> Lockout(const PolicyFacts& f, const Expected& e) {
  SHOKO_ASSIGN_OR_RETURN(const int64_t max_deny, e.Integer(kMaxDeny));
  SHOKO_ASSIGN_OR_RETURN(const int64_t min_unlock, e.Integer(kMinUnlockTime));
  if (!f.faillock) return Judgement{Verdict::kFail, "no pam_faillock in the auth stack"};
  std::vector<std::string> l;
  if (f.deny <= 0 || f.deny > max_deny) {
    l.push_back("deny " + std::to_string(f.deny) + " (baseline 1 to " + std::to_string(max_deny) +
                ")");
  }
  if (f.unlock != 0 && f.unlock < min_unlock) {
    l.push_back("unlock_time " + std::to_string(f.unlock) + " s (baseline at least " +
                std::to_string(min_unlock) + ", or 0: never)");
  }
  return PassUnless(l, "pam_faillock: deny " + std::to_string(f.deny) + ", unlock_time " +
                           std::to_string(f.unlock));
}

const BaselineKey kMinRemember = IntegerKey("min_remember", 0, 400).ByDistribution();

Result<Judgement> History(const PolicyFacts& f, const Expected& e) {
  SHOKO_ASSIGN_OR_RETURN(const int64_t want, e.Integer(kMinRemember));
  std::vector<std::string> h;
  if (f.remember < want) {
    h.push_back(f.history_module.empty()
                    ? "no password history (pam_pwhistory or pam_unix remember=)"
                    : f.history_module + " remembers " + std::to_string(f.remember) +
                          " (baseline " + std::to_string(want) + ")");
  }
  return PassUnless(h, f.history_module + " remembers " + std::to_string(f.remember));
}

const BaselineKey kNullokAllowed = controls::BooleanKey("allowed").ByDistribution();

Result<Judgement> Nullok(const PolicyFacts& f, const Expected& e) {
  SHOKO_ASSIGN_OR_RETURN(const bool allowed, e.Boolean(kNullokAllowed));
  std::vector<std::string> n;
  if (!allowed) {
    for (const std::string& where : f.nullok) n.push_back("pam_unix nullok at " + where);
  }
  return PassUnless(n, f.nullok.empty() ? "pam_unix never accepts an empty password"
                                        : "pam_unix nullok, which the baseline allows");
}

const BaselineKey kMaxDays = IntegerKey("max_days", 1, 99999).ByDistribution();
const BaselineKey kMinDays = IntegerKey("min_days", 0, 99999).ByDistribution();
const BaselineKey kMinWarnDays = IntegerKey("min_warn_days", 0, 99999).ByDistribution();

// login.defs's ageing for new accounts: PASS_MAX_DAYS is judged here alone
// (access.accounts.password_max_age judges each account's shadow maximum).
Result<Judgement> Ageing(const PolicyFacts& f, const Expected& e) {
  SHOKO_ASSIGN_OR_RETURN(const int64_t max_days, e.Integer(kMaxDays));
  SHOKO_ASSIGN_OR_RETURN(const int64_t min_days, e.Integer(kMinDays));
  SHOKO_ASSIGN_OR_RETURN(const int64_t min_warn, e.Integer(kMinWarnDays));
  std::vector<std::string> a;
  if (f.max_days > max_days) a.push_back("PASS_MAX_DAYS " + std::to_string(f.max_days));
  if (f.min_days < min_days) a.push_back("PASS_MIN_DAYS " + std::to_string(f.min_days));
  if (f.warn_age < min_warn) a.push_back("PASS_WARN_AGE " + std::to_string(f.warn_age));
  return PassUnless(a, "login.defs ageing within the baseline");
}

const BaselineKey kHashAllowed =
    controls::StringListKey("allowed", {"yescrypt", "gost_yescrypt", "sha512", "sha256", "blowfish",
                                        "bcrypt", "md5", "bigcrypt", "des"})
        .ByDistribution();

Result<Judgement> Hashing(const PolicyFacts& f, const Expected& e) {
  SHOKO_ASSIGN_OR_RETURN(const std::vector<std::string> allowed, e.Strings(kHashAllowed));
  auto ok = [&](const std::string& m) {
    return std::find(allowed.begin(), allowed.end(), m) != allowed.end();
  };
  std::vector<std::string> h;
  if (!f.pam_method.empty() && !ok(f.pam_method))
    h.push_back("pam_unix hashes with " + f.pam_method);
  if (!f.encrypt.empty() && !ok(f.encrypt)) h.push_back("login.defs ENCRYPT_METHOD " + f.encrypt);
  if (f.pam_method.empty() && f.encrypt.empty()) {
    h.push_back("no hash method set in pam_unix or login.defs");
  }
  return PassUnless(h, "hashing with " + (f.pam_method.empty() ? f.encrypt : f.pam_method) +
                           " (pam_unix " + (f.pam_method.empty() ? "default" : f.pam_method) +
                           ", login.defs " + (f.encrypt.empty() ? "unset" : f.encrypt) + ")");
}

const std::vector<Rule<PolicyFacts>> kRules = {
    {{"access.password_policy.quality", {kMinLength, kMinClasses}}, Quality},
    {{"access.password_policy.lockout", {kMaxDeny, kMinUnlockTime}}, Lockout},
    {{"access.password_policy.history", {kMinRemember}}, History},
    {{"access.password_policy.nullok", {kNullokAllowed}}, Nullok},
    {{"access.password_policy.ageing", {kMaxDays, kMinDays, kMinWarnDays}}, Ageing},
    {{"access.password_policy.hashing", {kHashAllowed}}, Hashing},
};
const CollectorDeclaration kDeclaration = InfoObservation(kObservation, DeclarationsOf(kRules));

void Describe(const CollectContext& ctx, const PolicyFacts& f, Observation* obs) {
  obs->verdict = Verdict::kInfo;
  obs->message = "PAM stacks " + platform::Join(f.services, ", ");
  obs->facts = {
      {"services", f.services},
      {"distribution", platform::DistributionIds(platform::ReadHostIdentity(ctx.env))},
      {"pwquality", {{"module", f.quality_module}, {"minlen", f.minlen}, {"classes", f.classes}}},
      {"faillock", {{"in_auth_stack", f.faillock}, {"deny", f.deny}, {"unlock_time", f.unlock}}},
      {"history", {{"module", f.history_module}, {"remember", f.remember}}},
      {"nullok", f.nullok},
      {"hashing", {{"pam_unix", f.pam_method}, {"login_defs", f.encrypt}}},
      {"login_defs",
       {{"PASS_MAX_DAYS", f.max_days},
        {"PASS_MIN_DAYS", f.min_days},
        {"PASS_WARN_AGE", f.warn_age}}}};
}

class PasswordPolicyCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kObservation;
    PolicyFacts facts;
    PolicyReader reader(ctx, &obs);
    if (Status s = reader.LoadStacks(&facts); !s.ok()) {
      // No shared stack at all where /etc/pam.d exists is an error; no PAM, not applicable.
      const bool no_pam = s.IsNotFound() && !ctx.env.Stat("/etc/pam.d").ok();
      return SameForAll(obs, kDeclaration.RuleIds(),
                        no_pam ? Verdict::kNotApplicable : Verdict::kError, s.message());
    }
    reader.Quality(&facts);
    reader.Lockout(&facts);
    reader.History(&facts);
    reader.Unix(&facts);
    reader.LoginDefs(&facts);
    Describe(ctx, facts, &obs);
    return JudgeAll(kRules, facts, std::move(obs), ctx.baseline);
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, PasswordPolicyCollector);

}  // namespace shoko::collectors::access
