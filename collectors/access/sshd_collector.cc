// access.sshd: the effective sshd configuration, and one rule record per
// baseline question about it (docs/evidence-format.md, "Check and rule records").
#include <fnmatch.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "collectors/access/host_files.h"
#include "collectors/collector.h"
#include "collectors/rules.h"
#include "platform/strings.h"

namespace shoko::collectors::access {
namespace {

using controls::BaselineKey;

constexpr char kObservation[] = "access.sshd";

// How a keyword's value is judged, and the baseline keys that says it by:
//   kAllowed    allowed: [values]       the value must be one of them
//   kBounds     min: N, max: N          a number (times in seconds) within bounds
//   kForbidden  forbidden: [patterns]   no algorithm of the list may match one
enum class Kind { kAllowed, kBounds, kForbidden };

// One baseline question about the effective configuration: its rule record
// is access.sshd.<name>, judged by the baseline's values for that check_id.
struct Keyword {
  const char* check_id;
  const char* keyword;  // lower-case, as in `effective`
  const char* spelled;  // as sshd_config(5) spells it, for messages
  Kind kind;
  std::vector<std::string> values = {};  // kAllowed: what the baseline may allow
};

const std::vector<std::string> kYesNo = {"yes", "no"};
const Keyword kKeywords[] = {
    {"access.sshd.permit_root_login",
     "permitrootlogin",
     "PermitRootLogin",
     Kind::kAllowed,
     {"yes", "no", "prohibit-password", "without-password", "forced-commands-only"}},
    {"access.sshd.password_authentication", "passwordauthentication", "PasswordAuthentication",
     Kind::kAllowed, kYesNo},
    {"access.sshd.permit_empty_passwords", "permitemptypasswords", "PermitEmptyPasswords",
     Kind::kAllowed, kYesNo},
    {"access.sshd.max_auth_tries", "maxauthtries", "MaxAuthTries", Kind::kBounds},
    {"access.sshd.hostbased_authentication", "hostbasedauthentication", "HostbasedAuthentication",
     Kind::kAllowed, kYesNo},
    {"access.sshd.ignore_rhosts", "ignorerhosts", "IgnoreRhosts", Kind::kAllowed, kYesNo},
    {"access.sshd.permit_user_environment", "permituserenvironment", "PermitUserEnvironment",
     Kind::kAllowed},
    {"access.sshd.x11_forwarding", "x11forwarding", "X11Forwarding", Kind::kAllowed, kYesNo},
    {"access.sshd.login_grace_time", "logingracetime", "LoginGraceTime", Kind::kBounds},
    {"access.sshd.client_alive_interval", "clientaliveinterval", "ClientAliveInterval",
     Kind::kBounds},
    {"access.sshd.log_level",
     "loglevel",
     "LogLevel",
     Kind::kAllowed,
     {"QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3"}},
    {"access.sshd.ciphers", "ciphers", "Ciphers", Kind::kForbidden},
    {"access.sshd.macs", "macs", "MACs", Kind::kForbidden},
    {"access.sshd.kex_algorithms", "kexalgorithms", "KexAlgorithms", Kind::kForbidden},
};

const BaselineKey kMin = controls::IntegerKey("min", 0, 2147483647).ByDistribution().Optional();
const BaselineKey kMax = controls::IntegerKey("max", 0, 2147483647).ByDistribution().Optional();
const BaselineKey kForbiddenKey = controls::StringListKey("forbidden").ByDistribution();

BaselineKey AllowedKey(const Keyword& k) {
  return controls::StringListKey("allowed", k.values).ByDistribution();
}

std::vector<BaselineKey> KeysOf(const Keyword& k) {
  switch (k.kind) {
    case Kind::kAllowed:
      return {AllowedKey(k)};
    case Kind::kBounds:
      return {kMin, kMax};
    case Kind::kForbidden:
      return {kForbiddenKey};
  }
  return {};
}

// What is wrong with one value for the baseline; empty when nothing is.
using Problem = std::function<std::string(const std::string& value)>;

Result<Problem> AllowedProblem(const Keyword& k, const Expected& expected) {
  SHOKO_ASSIGN_OR_RETURN(std::vector<std::string> allowed, expected.Strings(AllowedKey(k)));
  for (std::string& v : allowed) v = NormalizeSshdValue(k.keyword, v);
  return Problem([allowed](const std::string& value) {
    return std::find(allowed.begin(), allowed.end(), value) == allowed.end()
               ? "baseline allows " + platform::Join(allowed, ", ")
               : "";
  });
}

Result<Problem> ForbiddenProblem(const Expected& expected) {
  SHOKO_ASSIGN_OR_RETURN(std::vector<std::string> forbidden, expected.Strings(kForbiddenKey));
  return Problem([forbidden](const std::string& value) {
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
    return weak.empty() ? "" : "the baseline forbids " + platform::Join(weak, ", ");
  });
}

Result<Problem> BoundsProblem(const Keyword& k, const Expected& expected) {
  std::optional<long long> min, max;
  for (auto [key, out] : {std::pair{&kMin, &min}, {&kMax, &max}}) {
    if (!expected.Has(*key)) continue;
    SHOKO_ASSIGN_OR_RETURN(*out, expected.Integer(*key));
  }
  if (!min && !max) {
    return Status::InvalidArgument("baseline has no value 'min' or 'max' for " +
                                   std::string(k.check_id));
  }
  return Problem([min, max](const std::string& value) -> std::string {
    char* end = nullptr;
    const long long n = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0') return "not a number";
    if ((!max || n <= *max) && (!min || n >= *min)) return "";
    return "baseline asks for " + (min && max ? std::to_string(*min) + " to " + std::to_string(*max)
                                   : max      ? "at most " + std::to_string(*max)
                                              : "at least " + std::to_string(*min));
  });
}

Result<Problem> ProblemFor(const Keyword& k, const Expected& expected) {
  switch (k.kind) {
    case Kind::kAllowed:
      return AllowedProblem(k, expected);
    case Kind::kBounds:
      return BoundsProblem(k, expected);
    case Kind::kForbidden:
      return ForbiddenProblem(expected);
  }
  return Status::Internal("unknown rule kind");
}

// The keyword's global value, and its value in every Match block that sets
// it (a Match block can grant what the global setting refuses).
Result<Judgement> Judge(const Keyword& k, const SshdConfig& config, const Expected& expected) {
  SHOKO_ASSIGN_OR_RETURN(Problem problem, ProblemFor(k, expected));
  const std::string actual = config.effective.value(k.keyword, "");
  std::vector<std::string> problems;
  if (std::string p = problem(actual); !p.empty()) {
    problems.push_back(std::string(k.spelled) + " is " + actual + ": " + p);
  }
  nlohmann::json in_blocks = nlohmann::json::array();
  for (const SshdMatchBlock& b : config.match_blocks) {
    if (!b.overrides.contains(k.keyword)) continue;
    const std::string value = b.overrides[k.keyword].get<std::string>();
    const std::string where = b.file + ":" + std::to_string(b.line);
    in_blocks.push_back({{"criteria", b.criteria}, {"defined_in", where}, {"value", value}});
    if (std::string p = problem(value); !p.empty()) {
      problems.push_back("Match " + b.criteria + " (" + where + ") sets " + value + ": " + p);
    }
  }
  Judgement j = PassUnless(problems, std::string(k.spelled) + " is " + actual +
                                         (in_blocks.empty() ? "" : ", in every Match block too"));
  j.facts = {{k.keyword, actual}};
  if (!in_blocks.empty()) j.facts["match_blocks"] = in_blocks;
  return j;
}

std::vector<Rule<SshdConfig>> Rules() {
  std::vector<Rule<SshdConfig>> rules;
  for (const Keyword& k : kKeywords) {
    rules.push_back({{k.check_id, KeysOf(k)},
                     [&k](const SshdConfig& c, const Expected& e) { return Judge(k, c, e); }});
  }
  return rules;
}

const std::vector<Rule<SshdConfig>> kRules = Rules();
const CollectorDeclaration kDeclaration = InfoObservation(kObservation, DeclarationsOf(kRules));

// The observation: the files read, the effective values and the Match blocks.
Observation Observe(const CollectContext& ctx, const SshdConfig& config) {
  Observation obs;
  obs.check_id = kObservation;
  for (const std::string& file : config.files) {
    if (auto artifact = ArtifactOf(ctx.env, file); artifact.ok()) {
      obs.artifacts.push_back(std::move(artifact).value());
    }
  }
  obs.verdict = Verdict::kInfo;
  obs.message =
      "effective sshd configuration from " + std::to_string(config.files.size()) + " file(s)";
  nlohmann::json blocks = nlohmann::json::array();
  for (const SshdMatchBlock& b : config.match_blocks) {
    blocks.push_back(
        {{"criteria", b.criteria}, {"file", b.file}, {"line", b.line}, {"overrides", b.overrides}});
  }
  obs.facts = {{"config_file", kSshdConfigPath},
               {"files", config.files},
               {"effective", config.effective},
               {"match_blocks", blocks}};
  return obs;
}

class SshdCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    const Result<SshdConfig>& config = SshdConfigOf(ctx);
    // Without a readable sshd_config nothing can be judged: every record says why.
    if (!config.ok())
      return Unobserved(ctx, kDeclaration, config.status(), kSshdConfigPath, "sshd");
    return JudgeAll(kRules, *config, Observe(ctx, *config), ctx.baseline);
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, SshdCollector);

}  // namespace shoko::collectors::access
