// logs.auditd: auditd's log settings and whether its rules watch what
// auditors ask about: identity files, sudoers, login records, time changes
// (AU-2, AU-12; 8.15).
#include "collectors/collector.h"
#include "collectors/logs/log_scanners.h"
#include "platform/strings.h"

namespace shoko::collectors::logs {
namespace {

constexpr char kCheck[] = "logs.auditd";
constexpr size_t kMaxBytes = 4u << 20;

const CollectorDeclaration kDeclaration = JudgedObservation(kCheck);

struct Want {
  const char* topic;
  std::vector<std::string> any_of;  // a watched path or a syscall name
};

// Rules: rules.d/*.rules (what augenrules compiles), else audit.rules; each
// file read becomes an artifact of `obs`.
Status ReadRules(const platform::Env& env, std::vector<std::string>* rule_files, AuditRules* rules,
                 Observation* obs) {
  if (auto names = env.ListDir("/etc/audit/rules.d"); names.ok()) {
    for (const std::string& n : *names) {
      if (n.ends_with(".rules")) rule_files->push_back("/etc/audit/rules.d/" + n);
    }
  }
  if (rule_files->empty()) rule_files->push_back("/etc/audit/audit.rules");
  for (const std::string& f : *rule_files) {
    auto text = env.ReadFile(f, kMaxBytes);
    if (!text.ok() && text.status().IsNotFound()) continue;
    if (!text.ok()) return text.status();
    if (auto a = ArtifactOf(env, f, *text); a.ok()) obs->artifacts.push_back(*a);
    SHOKO_RETURN_IF_ERROR(ScanAuditRules(*text, env.Describe(f), rules));
  }
  return Status::OK();
}

// What each topic needs: one of the paths watched or of the syscalls. The
// topics none of whose needles the rules watch go to `missing`.
nlohmann::json Watched(const AuditRules& rules, std::vector<std::string>* missing) {
  static const std::vector<Want> kWants = {
      {"identity", {"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow"}},
      {"sudoers", {"/etc/sudoers", "/etc/sudoers.d"}},
      {"logins",
       {"/var/log/lastlog", "/var/log/wtmp", "/var/log/btmp", "/var/run/faillock", "/var/run/utmp",
        "/run/faillock"}},
      {"time_change", {"adjtimex", "settimeofday", "clock_settime", "/etc/localtime"}}};
  nlohmann::json watched = nlohmann::json::object();
  for (const Want& w : kWants) {
    bool found = false;
    for (const std::string& needle : w.any_of) {
      found = found || rules.paths.contains(needle) || rules.paths.contains(needle + "/") ||
              rules.syscalls.contains(needle);
    }
    watched[w.topic] = found;
    if (!found) missing->push_back(w.topic);
  }
  return watched;
}

class AuditdCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    const std::string conf_path = "/etc/audit/auditd.conf";
    auto conf = ctx.env.ReadFile(conf_path, kMaxBytes);
    if (!conf.ok()) {
      obs.verdict = conf.status().IsNotFound() ? Verdict::kFail : Verdict::kError;
      obs.message =
          conf.status().IsNotFound()
              ? "auditd is not installed: " + ctx.env.Describe(conf_path) + " does not exist"
              : conf.status().message();
      return {obs};
    }
    if (auto a = ArtifactOf(ctx.env, conf_path, *conf); a.ok()) obs.artifacts.push_back(*a);
    auto values = ParseAuditdConf(*conf, ctx.env.Describe(conf_path));
    std::vector<std::string> rule_files;
    AuditRules rules;
    Status read = values.ok() ? ReadRules(ctx.env, &rule_files, &rules, &obs) : values.status();
    if (!read.ok()) {
      obs.verdict = Verdict::kError;
      obs.message = read.message();
      return {obs};
    }
    nlohmann::json settings = nlohmann::json::object();
    for (const char* key :
         {"max_log_file", "num_logs", "max_log_file_action", "space_left_action",
          "admin_space_left_action", "disk_full_action", "log_group", "log_file"}) {
      if (auto it = values->find(key); it != values->end()) settings[key] = it->second;
    }
    std::vector<std::string> missing;
    const nlohmann::json watched = Watched(rules, &missing);
    const bool enabled = ctx.env
                             .Stat("/etc/systemd/system/multi-user.target.wants/auditd.service",
                                   /*follow=*/false)
                             .ok();
    obs.facts = {{"settings", settings},
                 {"watched", watched},
                 {"enabled", enabled},
                 {"rule_files", rule_files}};
    std::vector<std::string> problems;
    if (!enabled) problems.push_back("auditd.service is not enabled");
    if (!missing.empty())
      problems.push_back("no audit rule watches " + platform::Join(missing, ", "));
    obs.verdict = problems.empty() ? Verdict::kPass : Verdict::kFail;
    obs.message = problems.empty()
                      ? "auditd enabled; identity, sudoers, logins and time changes watched"
                      : platform::Join(problems, "; ");
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, AuditdCollector);

}  // namespace shoko::collectors::logs
