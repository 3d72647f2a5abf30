// access.sshd: the effective sshd configuration, and one rule record per
// baseline question about it (design §3).
#include <fnmatch.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "collectors/access/sshd_config.h"
#include "collectors/collector.h"

namespace shoko::collectors::access {
namespace {

constexpr char kObservation[] = "access.sshd";

// One baseline question about the effective configuration: its rule record
// is access.sshd.<name>, judged by the baseline's values for that check_id:
//   allowed: [values]            the keyword's value must be one of them
//   max: N (and min: N)          a number (times in seconds) within bounds
//   forbidden: [patterns]        no algorithm of the list may match one
struct SshdRule {
  const char* check_id;
  const char* keyword;  // lower-case, as in `effective`
  const char* spelled;  // as sshd_config(5) spells it, for messages
  std::vector<controls::BaselineKey> baseline;
};

std::vector<controls::BaselineKey> Allowed(std::vector<std::string> values = {}) {
  return {controls::StringListKey("allowed", std::move(values)).ByDistribution()};
}
// Seconds or counts: min and max, either may be left out.
std::vector<controls::BaselineKey> Bounds() {
  return {controls::IntegerKey("min", 0, 2147483647).ByDistribution().Optional(),
          controls::IntegerKey("max", 0, 2147483647).ByDistribution().Optional()};
}
std::vector<controls::BaselineKey> Forbidden() {
  return {controls::StringListKey("forbidden").ByDistribution()};
}
const std::vector<std::string> kYesNo = {"yes", "no"};

const SshdRule kRules[] = {
    {"access.sshd.permit_root_login", "permitrootlogin", "PermitRootLogin",
     Allowed({"yes", "no", "prohibit-password", "without-password", "forced-commands-only"})},
    {"access.sshd.password_authentication", "passwordauthentication", "PasswordAuthentication",
     Allowed(kYesNo)},
    {"access.sshd.permit_empty_passwords", "permitemptypasswords", "PermitEmptyPasswords",
     Allowed(kYesNo)},
    {"access.sshd.max_auth_tries", "maxauthtries", "MaxAuthTries", Bounds()},
    {"access.sshd.hostbased_authentication", "hostbasedauthentication", "HostbasedAuthentication",
     Allowed(kYesNo)},
    {"access.sshd.ignore_rhosts", "ignorerhosts", "IgnoreRhosts", Allowed(kYesNo)},
    {"access.sshd.permit_user_environment", "permituserenvironment", "PermitUserEnvironment",
     Allowed()},
    {"access.sshd.x11_forwarding", "x11forwarding", "X11Forwarding", Allowed(kYesNo)},
    {"access.sshd.login_grace_time", "logingracetime", "LoginGraceTime", Bounds()},
    {"access.sshd.client_alive_interval", "clientaliveinterval", "ClientAliveInterval", Bounds()},
    {"access.sshd.log_level", "loglevel", "LogLevel",
     Allowed(
         {"QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3"})},
    {"access.sshd.ciphers", "ciphers", "Ciphers", Forbidden()},
    {"access.sshd.macs", "macs", "MACs", Forbidden()},
    {"access.sshd.kex_algorithms", "kexalgorithms", "KexAlgorithms", Forbidden()},
};

CollectorDeclaration Declaration() {
  std::vector<CheckDeclaration> rules;
  for (const SshdRule& r : kRules) rules.push_back({r.check_id, r.baseline});
  return InfoObservation(kObservation, std::move(rules));
}
const CollectorDeclaration kDeclaration = Declaration();

std::string JoinText(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Observation Judge(const SshdRule& r, const SshdConfig& config, const controls::Baseline& baseline,
                  const std::vector<Artifact>& artifacts) {
  const nlohmann::json& expected = baseline.ExpectedFor(r.check_id);
  auto strings = [&](const char* key) {
    std::vector<std::string> out;
    if (expected.is_object() && expected.contains(key) && expected[key].is_array()) {
      for (const auto& v : expected[key]) {
        if (v.is_string()) out.push_back(NormalizeSshdValue(r.keyword, v.get<std::string>()));
      }
    }
    return out;
  };
  auto number = [&](const char* key) -> std::optional<long long> {
    if (expected.is_object() && expected.contains(key) && expected[key].is_number_integer()) {
      return expected[key].get<long long>();
    }
    return std::nullopt;
  };
  const std::vector<std::string> allowed = strings("allowed");
  const std::vector<std::string> forbidden = strings("forbidden");
  const std::optional<long long> max = number("max"), min = number("min");
  if (allowed.empty() && forbidden.empty() && !max && !min) {
    return RuleRecord(
        r.check_id, kObservation, Verdict::kError,
        std::string("baseline has no allowed, forbidden, max or min value for ") + r.check_id);
  }
  // What is wrong with `value` for the baseline; empty when nothing is.
  auto problem = [&](const std::string& value) -> std::string {
    if (!allowed.empty()) {
      return std::find(allowed.begin(), allowed.end(), value) == allowed.end()
                 ? "baseline allows " + JoinText(allowed)
                 : "";
    }
    if (!forbidden.empty()) {
      std::vector<std::string> weak;
      size_t at = 0;
      while (at <= value.size()) {
        const size_t comma = std::min(value.find(',', at), value.size());
        const std::string name = value.substr(at, comma - at);
        for (const std::string& pattern : forbidden) {
          if (::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) {
            weak.push_back(name);
            break;
          }
        }
        at = comma + 1;
      }
      return weak.empty() ? "" : "the baseline forbids " + JoinText(weak);
    }
    char* end = nullptr;
    const long long n = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0') return "not a number";
    if ((max && n > *max) || (min && n < *min)) {
      return "baseline asks for " + (min && max
                                         ? std::to_string(*min) + " to " + std::to_string(*max)
                                     : max ? "at most " + std::to_string(*max)
                                           : "at least " + std::to_string(*min));
    }
    return "";
  };
  const std::string actual = config.effective.value(r.keyword, "");
  std::vector<std::string> problems;
  if (std::string p = problem(actual); !p.empty()) {
    problems.push_back(std::string(r.spelled) + " is " + actual + ": " + p);
  }
  // A Match block can grant what the global setting refuses.
  nlohmann::json in_blocks = nlohmann::json::array();
  for (const SshdMatchBlock& b : config.match_blocks) {
    if (!b.overrides.contains(r.keyword)) continue;
    const std::string value = b.overrides[r.keyword].get<std::string>();
    in_blocks.push_back({{"criteria", b.criteria},
                         {"defined_in", b.file + ":" + std::to_string(b.line)},
                         {"value", value}});
    if (std::string p = problem(value); !p.empty()) {
      problems.push_back("Match " + b.criteria + " (" + b.file + ":" + std::to_string(b.line) +
                         ") sets " + value + ": " + p);
    }
  }
  std::string message;
  for (const std::string& p : problems) message += (message.empty() ? "" : "; ") + p;
  Observation rule =
      RuleRecord(r.check_id, kObservation, problems.empty() ? Verdict::kPass : Verdict::kFail,
                 problems.empty() ? std::string(r.spelled) + " is " + actual +
                                        (in_blocks.empty() ? "" : ", in every Match block too")
                                  : message);
  rule.facts = {{r.keyword, actual}};
  if (!in_blocks.empty()) rule.facts["match_blocks"] = in_blocks;
  rule.expected = expected;
  rule.artifacts = artifacts;
  return rule;
}

class SshdCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kObservation;
    auto config = LoadSshdConfig(ctx.env, kSshdConfigPath);
    if (!config.ok()) {
      // Without a readable sshd_config nothing can be judged: every record says why.
      bool absent =
          config.status().IsNotFound() && !ctx.env.Stat(kSshdConfigPath, /*follow=*/false).ok();
      Verdict verdict = absent ? Verdict::kNotApplicable : Verdict::kError;
      std::string message =
          absent ? "sshd is not installed: " + ctx.env.Describe(kSshdConfigPath) + " does not exist"
                 : config.status().message();
      return SameForAll(obs, kDeclaration.RuleIds(), verdict, message);
    }
    std::vector<Artifact> artifacts;
    for (const std::string& file : config->files) {
      auto artifact = ArtifactOf(ctx.env, file);
      if (artifact.ok()) artifacts.push_back(std::move(artifact).value());
    }
    obs.verdict = Verdict::kInfo;
    obs.message =
        "effective sshd configuration from " + std::to_string(config->files.size()) + " file(s)";
    nlohmann::json blocks = nlohmann::json::array();
    for (const SshdMatchBlock& b : config->match_blocks) {
      blocks.push_back({{"criteria", b.criteria},
                        {"file", b.file},
                        {"line", b.line},
                        {"overrides", b.overrides}});
    }
    obs.facts = {{"config_file", kSshdConfigPath},
                 {"files", config->files},
                 {"effective", config->effective},
                 {"match_blocks", blocks}};
    obs.artifacts = artifacts;
    std::vector<Observation> out = {obs};
    for (const SshdRule& r : kRules) out.push_back(Judge(r, *config, ctx.baseline, artifacts));
    return out;
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, SshdCollector);

}  // namespace shoko::collectors::access
