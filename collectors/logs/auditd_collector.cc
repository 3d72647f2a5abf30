// logs.auditd: auditd's log settings and whether its rules watch what
// auditors ask about: identity files, sudoers, login records, time changes
// (AU-2, AU-12; 8.15).
#include <algorithm>
#include <sstream>

#include "collectors/collector.h"

namespace shoko::collectors::logs {
namespace {

constexpr char kCheck[] = "logs.auditd";
constexpr size_t kMaxBytes = 4u << 20;

struct Want {
  const char* topic;
  std::vector<std::string> any_of;  // a watched path or a syscall name
};

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
    // "key = value" lines.
    nlohmann::json settings = nlohmann::json::object();
    std::istringstream lines(*conf);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line[0] == '#') continue;
      size_t eq = line.find('=');
      if (eq == std::string::npos) continue;
      auto trim = [](std::string s) {
        s.erase(0, s.find_first_not_of(" \t"));
        s.erase(s.find_last_not_of(" \t\r") + 1);
        return s;
      };
      const std::string key = trim(line.substr(0, eq));
      static const char* const kKeys[] = {"max_log_file",
                                          "num_logs",
                                          "max_log_file_action",
                                          "space_left_action",
                                          "admin_space_left_action",
                                          "disk_full_action",
                                          "log_group",
                                          "log_file"};
      if (std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys)) {
        settings[key] = trim(line.substr(eq + 1));
      }
    }
    // Rules: rules.d/*.rules (what augenrules compiles), else audit.rules.
    std::vector<std::string> rule_files;
    if (auto names = ctx.env.ListDir("/etc/audit/rules.d"); names.ok()) {
      for (const std::string& n : *names) {
        if (n.ends_with(".rules")) rule_files.push_back("/etc/audit/rules.d/" + n);
      }
    }
    if (rule_files.empty()) rule_files.push_back("/etc/audit/audit.rules");
    std::string rules;
    for (const std::string& f : rule_files) {
      auto text = ctx.env.ReadFile(f, kMaxBytes);
      if (!text.ok()) continue;
      if (auto a = ArtifactOf(ctx.env, f, *text); a.ok()) obs.artifacts.push_back(*a);
      std::istringstream in(*text);
      for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line[0] != '#') rules += line + "\n";
      }
    }
    // What each topic needs: one of the paths watched (-w PATH or -F path=),
    // or one of the syscalls (-S NAME[,NAME]).
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
        const bool path = needle[0] == '/';
        std::istringstream in(rules);
        for (std::string line; !found && std::getline(in, line);) {
          std::istringstream words(line);
          std::vector<std::string> t;
          for (std::string x; words >> x;) t.push_back(x);
          for (size_t i = 0; i + 1 < t.size() && !found; ++i) {
            if (path && ((t[i] == "-w" && t[i + 1] == needle) || t[i + 1] == "path=" + needle ||
                         t[i + 1] == "dir=" + needle)) {
              found = true;
            }
            if (!path && t[i] == "-S") {
              std::istringstream calls(t[i + 1]);
              for (std::string c; std::getline(calls, c, ',');) found = found || c == needle;
            }
          }
        }
        if (found) break;
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

SHOKO_REGISTER_COLLECTOR(kCheck, AuditdCollector);

}  // namespace shoko::collectors::logs
