// logs.remote: whether logs leave the host, so that whoever takes it over
// cannot erase its history (AU-9(2), 8.15): rsyslog forwarding (legacy @ and
// @@ actions, omfwd), syslog-ng network destinations, systemd-journal-upload.
#include "collectors/collector.h"
#include "collectors/logs/log_scanners.h"
#include "collectors/common/ini.h"

namespace shoko::collectors::logs {
namespace {

constexpr char kCheck[] = "logs.remote";
constexpr size_t kMaxConfigBytes = 4u << 20;

nlohmann::json ToJson(const LogDestination& d) {
  nlohmann::json j = {{"via", d.via},
                      {"target", d.target},
                      {"port", d.port},
                      {"protocol", d.protocol},
                      {"defined_in", d.file + ":" + std::to_string(d.line)}};
  j["tls"] = d.tls.value_or(false);
  return j;
}

const CollectorDeclaration kDeclaration = JudgedObservation(kCheck);

class RemoteCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    nlohmann::json destinations = nlohmann::json::array();
    ConfigReader reader(ctx.env, &obs, kMaxConfigBytes);
    auto read = [&](const std::string& path) { return reader.Read(path); };
    auto list = [&](const std::string& dir, const std::string& suffix) {
      std::vector<std::string> out;
      if (auto names = ctx.env.ListDir(dir); names.ok()) {
        for (const std::string& n : *names) {
          if (n.ends_with(suffix)) out.push_back(dir + "/" + n);
        }
      }
      return out;
    };

    // rsyslog: the main file and /etc/rsyslog.d/*.conf.
    std::vector<std::string> rsyslog = {"/etc/rsyslog.conf"};
    for (const std::string& f : list("/etc/rsyslog.d", ".conf")) rsyslog.push_back(f);
    // Whether TLS is rsyslog's default applies across its files.
    std::vector<LogDestination> found;
    bool rsyslog_tls_default = false;
    auto fail = [&](const Status& s) {
      obs.verdict = Verdict::kError;
      obs.message = s.message();
      return std::vector<Observation>{obs};
    };
    for (const std::string& path : rsyslog) {
      auto text = read(path);
      if (!text) continue;
      auto scan = ScanRsyslog(*text, ctx.env.Describe(path));
      if (!scan.ok()) return fail(scan.status());
      rsyslog_tls_default = rsyslog_tls_default || scan->tls_default;
      for (LogDestination& d : scan->destinations) {
        d.file = path;
        found.push_back(std::move(d));
      }
    }
    for (LogDestination& d : found) {
      if (!d.tls) d.tls = d.protocol == "tcp" && rsyslog_tls_default;
    }

    // syslog-ng: network(), tcp(), udp(), syslog() destinations.
    std::vector<std::string> syslog_ng = {"/etc/syslog-ng/syslog-ng.conf"};
    for (const std::string& f : list("/etc/syslog-ng/conf.d", ".conf")) syslog_ng.push_back(f);
    for (const std::string& path : syslog_ng) {
      auto text = read(path);
      if (!text) continue;
      auto scan = ScanSyslogNg(*text, ctx.env.Describe(path));
      if (!scan.ok()) return fail(scan.status());
      for (LogDestination& d : *scan) {
        d.file = path;
        found.push_back(std::move(d));
      }
    }
    for (const LogDestination& d : found) destinations.push_back(ToJson(d));

    // systemd-journal-upload, when enabled.
    if (ctx.env
            .Stat("/etc/systemd/system/multi-user.target.wants/systemd-journal-upload.service",
                  /*follow=*/false)
            .ok()) {
      std::string url;
      if (auto text = read("/etc/systemd/journal-upload.conf")) {
        auto sections =
            ParseIni(*text, ctx.env.Describe("/etc/systemd/journal-upload.conf"));
        if (!sections.ok()) {
          return fail(sections.status());
        }
        for (const auto& s : *sections) {
          if (s.name == "Upload") url = s.Get("url", url);
        }
      }
      destinations.push_back({{"via", "systemd-journal-upload"},
                              {"target", url},
                              {"tls", url.rfind("https://", 0) == 0},
                              {"defined_in", "/etc/systemd/journal-upload.conf"}});
    }

    if (!reader.error().ok()) return fail(reader.error());
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
