// logs.remote: whether logs leave the host, so that whoever takes it over
// cannot erase its history (AU-9(2), 8.15): rsyslog forwarding (legacy @ and
// @@ actions, omfwd), syslog-ng network destinations, systemd-journal-upload.
#include "collectors/collector.h"
#include "collectors/common/ini.h"
#include "collectors/logs/log_scanners.h"

namespace shoko::collectors::logs {
namespace {

constexpr char kCheck[] = "logs.remote";
constexpr size_t kMaxConfigBytes = 4u << 20;
const CollectorDeclaration kDeclaration = JudgedObservation(kCheck);

nlohmann::json ToJson(const LogDestination& d) {
  nlohmann::json j = {{"via", d.via},
                      {"target", d.target},
                      {"port", d.port},
                      {"protocol", d.protocol},
                      {"defined_in", d.file + ":" + std::to_string(d.line)}};
  j["tls"] = d.tls.value_or(false);
  return j;
}

// `main`, then the files of `dir` ending in `suffix`.
std::vector<std::string> ConfigFiles(const platform::Env& env, const std::string& main,
                                     const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out = {main};
  if (auto names = env.ListDir(dir); names.ok()) {
    for (const std::string& n : *names) {
      if (n.ends_with(suffix)) out.push_back(dir + "/" + n);
    }
  }
  return out;
}

// rsyslog: the main file and /etc/rsyslog.d/*.conf. Whether TLS is rsyslog's
// default applies across its files.
Status AddRsyslog(const platform::Env& env, ConfigReader& reader,
                  std::vector<LogDestination>* found) {
  std::vector<LogDestination> mine;
  bool tls_default = false;
  for (const std::string& path : ConfigFiles(env, "/etc/rsyslog.conf", "/etc/rsyslog.d", ".conf")) {
    auto text = reader.Read(path);
    if (!text) continue;
    SHOKO_ASSIGN_OR_RETURN(RsyslogScan scan, ScanRsyslog(*text, env.Describe(path)));
    tls_default = tls_default || scan.tls_default;
    for (LogDestination& d : scan.destinations) {
      d.file = path;
      mine.push_back(std::move(d));
    }
  }
  for (LogDestination& d : mine) {
    if (!d.tls) d.tls = d.protocol == "tcp" && tls_default;
    found->push_back(std::move(d));
  }
  return Status::OK();
}

// syslog-ng: network(), tcp(), udp(), syslog() destinations.
Status AddSyslogNg(const platform::Env& env, ConfigReader& reader,
                   std::vector<LogDestination>* found) {
  for (const std::string& path :
       ConfigFiles(env, "/etc/syslog-ng/syslog-ng.conf", "/etc/syslog-ng/conf.d", ".conf")) {
    auto text = reader.Read(path);
    if (!text) continue;
    SHOKO_ASSIGN_OR_RETURN(std::vector<LogDestination> scan,
                           ScanSyslogNg(*text, env.Describe(path)));
    for (LogDestination& d : scan) {
      d.file = path;
      found->push_back(std::move(d));
    }
  }
  return Status::OK();
}

// systemd-journal-upload, when enabled: its URL=.
Status AddJournalUpload(const platform::Env& env, ConfigReader& reader,
                        nlohmann::json* destinations) {
  if (!env.Stat("/etc/systemd/system/multi-user.target.wants/systemd-journal-upload.service",
                /*follow=*/false)
           .ok()) {
    return Status::OK();
  }
  std::string url;
  if (auto text = reader.Read("/etc/systemd/journal-upload.conf")) {
    SHOKO_ASSIGN_OR_RETURN(std::vector<IniSection> sections,
                           ParseIni(*text, env.Describe("/etc/systemd/journal-upload.conf")));
    for (const auto& s : sections) {
      if (s.name == "Upload") url = s.Get("url", url);
    }
  }
  destinations->push_back({{"via", "systemd-journal-upload"},
                           {"target", url},
                           {"tls", url.rfind("https://", 0) == 0},
                           {"defined_in", "/etc/systemd/journal-upload.conf"}});
  return Status::OK();
}

class RemoteCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    ConfigReader reader(ctx.env, &obs, kMaxConfigBytes);
    std::vector<LogDestination> found;
    nlohmann::json destinations = nlohmann::json::array();
    Status s = AddRsyslog(ctx.env, reader, &found);
    if (s.ok()) s = AddSyslogNg(ctx.env, reader, &found);
    for (const LogDestination& d : found) destinations.push_back(ToJson(d));
    if (s.ok()) s = AddJournalUpload(ctx.env, reader, &destinations);
    if (s.ok()) s = reader.error();
    if (!s.ok()) {
      obs.verdict = Verdict::kError;
      obs.message = s.message();
      return {obs};
    }
    obs.facts = {{"destinations", destinations}, {"config_files", reader.files()}};
    if (destinations.empty()) {
      obs.verdict = Verdict::kFail;
      obs.message = "no log forwarding configured: the host alone keeps its history";
    } else {
      size_t tls = 0;
      for (const auto& d : destinations) tls += d["tls"] == true;
      obs.verdict = Verdict::kPass;
      obs.message = std::to_string(destinations.size()) + " remote destination(s), " +
                    std::to_string(tls) + " over TLS";
    }
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, RemoteCollector);

}  // namespace shoko::collectors::logs
