// logs.auditd: auditd's log settings and whether its rules watch what
// auditors ask about: identity files, sudoers, login records, time changes
// (AU-2, AU-12; 8.15).
#include "collectors/collector.h"
#include "collectors/logs/log_scanners.h"

namespace shoko::collectors::logs {
namespace {

constexpr char kCheck[] = "logs.auditd";
constexpr size_t kMaxBytes = 4u << 20;

struct Want {
  const char* topic;
  std::vector<std::string> any_of;  // a watched path or a syscall name
};

const CollectorDeclaration kDeclaration = JudgedObservation(kCheck);

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
    auto fail = [&](const Status& s) {
      obs.verdict = Verdict::kError;
      obs.message = s.message();
      return std::vector<Observation>{obs};
    };
    auto values = ParseAuditdConf(*conf, ctx.env.Describe(conf_path));
    if (!values.ok()) return fail(values.status());
    nlohmann::json settings = nlohmann::json::object();
    for (const char* key :
         {"max_log_file", "num_logs", "max_log_file_action", "space_left_action",
          "admin_space_left_action", "disk_full_action", "log_group", "log_file"}) {
      if (auto it = values->find(key); it != values->end()) settings[key] = it->second;
    }
    // Rules: rules.d/*.rules (what augenrules compiles), else audit.rules.
    std::vector<std::string> rule_files;
    if (auto names = ctx.env.ListDir("/etc/audit/rules.d"); names.ok()) {
      for (const std::string& n : *names) {
        if (n.ends_with(".rules")) rule_files.push_back("/etc/audit/rules.d/" + n);
      }
    }
    if (rule_files.empty()) rule_files.push_back("/etc/audit/audit.rules");
    AuditRules rules;
    for (const std::string& f : rule_files) {
      auto text = ctx.env.ReadFile(f, kMaxBytes);
      if (!text.ok() && text.status().IsNotFound()) continue;
      if (!text.ok()) return fail(text.status());
      if (auto a = ArtifactOf(ctx.env, f, *text); a.ok()) obs.artifacts.push_back(*a);
      if (Status s = ScanAuditRules(*text, ctx.env.Describe(f), &rules); !s.ok()) return fail(s);
    }
    // What each topic needs: one of the paths watched or of the syscalls.
    static const std::vector<Want> kWants = {
        {"identity", {"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow"}},
        {"sudoers", {"/etc/sudoers", "/etc/sudoers.d"}},
        {"logins",
         {"/var/log/lastlog", "/var/log/wtmp", "/var/log/btmp", "/var/run/faillock",
          "/var/run/utmp", "/run/faillock"}},
        {"time_change", {"adjtimex", "settimeofday", "clock_settime", "/etc/localtime"}}};
    nlohmann::json watched = nlohmann::json::object();
    std::vector<std::string> missing;
    for (const Want& w : kWants) {
      bool found = false;
      for (const std::string& needle : w.any_of) {
        found = found || rules.paths.contains(needle) || rules.paths.contains(needle + "/") ||
                rules.syscalls.contains(needle);
      }
      watched[w.topic] = found;
      if (!found) missing.push_back(w.topic);
    }
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
    if (!missing.empty()) {
      std::string m;
      for (const std::string& t : missing) m += (m.empty() ? "" : ", ") + t;
      problems.push_back("no audit rule watches " + m);
    }
    obs.verdict = problems.empty() ? Verdict::kPass : Verdict::kFail;
    for (const std::string& p : problems) obs.message += (obs.message.empty() ? "" : "; ") + p;
    if (problems.empty())
      obs.message = "auditd enabled; identity, sudoers, logins and time changes watched";
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, AuditdCollector);

}  // namespace shoko::collectors::logs
