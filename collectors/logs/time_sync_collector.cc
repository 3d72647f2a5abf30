// logs.time_sync: whether the clock is synchronised (the kernel's view, from
// adjtimex) and which time daemon is configured with which servers; evidence
// timestamps are only as good as the clock (8.17, AU-8).
#include <sys/timex.h>

#include <sstream>

#include "collectors/collector.h"
#include "collectors/logs/log_scanners.h"
#include "collectors/common/ini.h"

namespace shoko::collectors::logs {
namespace {

constexpr char kCheck[] = "logs.time_sync";
constexpr size_t kMaxConfigBytes = 1u << 20;

const CollectorDeclaration kDeclaration = JudgedObservation(kCheck);

class TimeSyncCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    nlohmann::json daemons = nlohmann::json::array();
    ConfigReader reader(ctx.env, &obs, kMaxConfigBytes);
    auto read = [&](const std::string& path) { return reader.Read(path); };
    auto fail = [&](const Status& s) {
      obs.verdict = Verdict::kError;
      obs.message = s.message();
      return std::vector<Observation>{obs};
    };
    // The servers of a chrony or ntpd configuration, and (chrony) of the
    // files it names: confdir/sourcedir directories and includes, one level.
    auto servers_of = [&](const std::string& path,
                          const std::string& text) -> Result<nlohmann::json> {
      auto scan = ScanNtpConfig(text, ctx.env.Describe(path));
      if (!scan.ok()) return scan.status();
      std::vector<std::string> servers = scan->servers;
      std::vector<std::string> more;
      for (const auto& [dir, suffix] : scan->dirs) {
        auto names = ctx.env.ListDir(dir);
        if (!names.ok()) continue;  // sourcedir /run/chrony-dhcp is often absent
        for (const std::string& n : *names) {
          if (n.ends_with(suffix)) more.push_back(dir + "/" + n);
        }
      }
      for (const std::string& pattern : scan->includes) {
        if (auto matches = platform::Glob(ctx.env, pattern); matches.ok()) {
          more.insert(more.end(), matches->begin(), matches->end());
        }
      }
      for (const std::string& f : more) {
        auto inner = read(f);
        if (!inner) continue;
        auto sub = ScanNtpConfig(*inner, ctx.env.Describe(f));
        if (!sub.ok()) return sub.status();
        servers.insert(servers.end(), sub->servers.begin(), sub->servers.end());
      }
      return nlohmann::json(servers);
    };
    for (const char* path : {"/etc/chrony/chrony.conf", "/etc/chrony.conf"}) {
      if (auto text = read(path)) {
        auto servers = servers_of(path, *text);
        if (!servers.ok()) return fail(servers.status());
        daemons.push_back({{"daemon", "chronyd"}, {"config", path}, {"servers", *servers}});
        break;
      }
    }
    for (const char* path : {"/etc/ntpsec/ntp.conf", "/etc/ntp.conf"}) {
      if (auto text = read(path)) {
        auto servers = servers_of(path, *text);
        if (!servers.ok()) return fail(servers.status());
        daemons.push_back({{"daemon", "ntpd"}, {"config", path}, {"servers", *servers}});
        break;
      }
    }
    const bool timesyncd_enabled =
        ctx.env.Stat("/etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service", false)
            .ok();
    if (timesyncd_enabled || ctx.env.Stat("/etc/systemd/timesyncd.conf").ok()) {
      std::vector<std::string> servers;
      std::vector<std::string> fallback;
      if (auto text = read("/etc/systemd/timesyncd.conf")) {
        auto sections = ParseIni(*text, ctx.env.Describe("/etc/systemd/timesyncd.conf"));
        if (!sections.ok()) return fail(sections.status());
        for (const auto& s : *sections) {
          if (s.name != "Time") continue;
          std::istringstream ntp(s.Get("ntp")), fb(s.Get("fallbackntp"));
          for (std::string h; ntp >> h;) servers.push_back(h);
          for (std::string h; fb >> h;) fallback.push_back(h);
        }
      }
      daemons.push_back({{"daemon", "systemd-timesyncd"},
                         {"enabled", timesyncd_enabled},
                         {"config", "/etc/systemd/timesyncd.conf"},
                         {"servers", servers},
                         {"fallback_servers", fallback}});
    }
    if (!reader.error().ok()) return fail(reader.error());
    // The kernel's own verdict, meaningful only for the running system.
    std::optional<bool> synchronised;
    if (ctx.env.IsHostRoot()) {
      timex tx{};
      int state = ::adjtimex(&tx);
      if (state >= 0) synchronised = state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
    }
    obs.facts = {{"daemons", daemons},
                 {"clock_synchronised",
                  synchronised ? nlohmann::json(*synchronised) : nlohmann::json(nullptr)}};
    bool configured = false;
    for (const auto& d : daemons) {
      configured = configured || !d["servers"].empty() ||
                   (d.contains("fallback_servers") && !d["fallback_servers"].empty()) ||
                   (d["daemon"] == "systemd-timesyncd" && d["enabled"] == true);
    }
    if (synchronised == false) {
      obs.verdict = Verdict::kFail;
      obs.message = "the kernel reports the clock as not synchronised";
    } else if (!configured) {
      obs.verdict = Verdict::kFail;
      obs.message = "no time daemon (chrony, ntpd, systemd-timesyncd) is configured with servers";
    } else {
      obs.verdict = Verdict::kPass;
      obs.message = synchronised ? "clock synchronised; " +
                                       daemons[0]["daemon"].get<std::string>() + " configured"
                                 : daemons[0]["daemon"].get<std::string>() +
                                       " configured (the clock itself is observable on the running "
                                       "host only)";
    }
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, TimeSyncCollector);

}  // namespace shoko::collectors::logs
