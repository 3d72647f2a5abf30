// logs.time_sync: whether the clock is synchronised (the kernel's view, from
// adjtimex) and which time daemon is configured with which servers; evidence
// timestamps are only as good as the clock (8.17, AU-8).
#include <sys/timex.h>

#include <sstream>

#include "collectors/collector.h"
#include "collectors/common/ini.h"
#include "collectors/logs/log_scanners.h"

namespace shoko::collectors::logs {
namespace {

constexpr char kCheck[] = "logs.time_sync";
constexpr size_t kMaxConfigBytes = 1u << 20;
const CollectorDeclaration kDeclaration = JudgedObservation(kCheck);

// The servers of a chrony or ntpd configuration, and (chrony) of the files it
// names: confdir/sourcedir directories and includes, one level.
Result<nlohmann::json> ServersOf(const platform::Env& env, ConfigReader& reader,
                                 const std::string& path, const std::string& text) {
  SHOKO_ASSIGN_OR_RETURN(NtpScan scan, ScanNtpConfig(text, env.Describe(path)));
  std::vector<std::string> servers = scan.servers;
  std::vector<std::string> more;
  for (const auto& [dir, suffix] : scan.dirs) {
    auto names = env.ListDir(dir);
    if (!names.ok()) continue;  // sourcedir /run/chrony-dhcp is often absent
    for (const std::string& n : *names) {
      if (n.ends_with(suffix)) more.push_back(dir + "/" + n);
    }
  }
  for (const std::string& pattern : scan.includes) {
    if (auto matches = platform::Glob(env, pattern); matches.ok()) {
      more.insert(more.end(), matches->begin(), matches->end());
    }
  }
  for (const std::string& f : more) {
    auto inner = reader.Read(f);
    if (!inner) continue;
    SHOKO_ASSIGN_OR_RETURN(NtpScan sub, ScanNtpConfig(*inner, env.Describe(f)));
    servers.insert(servers.end(), sub.servers.begin(), sub.servers.end());
  }
  return nlohmann::json(servers);
}

// The first of `paths` that exists, as `daemon`'s configuration.
Status AddNtpDaemon(const platform::Env& env, ConfigReader& reader, const char* daemon,
                    std::initializer_list<const char*> paths, nlohmann::json* daemons) {
  for (const char* path : paths) {
    if (auto text = reader.Read(path)) {
      SHOKO_ASSIGN_OR_RETURN(nlohmann::json servers, ServersOf(env, reader, path, *text));
      daemons->push_back({{"daemon", daemon}, {"config", path}, {"servers", servers}});
      break;
    }
  }
  return Status::OK();
}

// systemd-timesyncd, when enabled or configured: its NTP= and FallbackNTP=.
Status AddTimesyncd(const platform::Env& env, ConfigReader& reader, nlohmann::json* daemons) {
  const bool enabled =
      env.Stat("/etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service", false).ok();
  if (!enabled && !env.Stat("/etc/systemd/timesyncd.conf").ok()) return Status::OK();
  std::vector<std::string> servers;
  std::vector<std::string> fallback;
  if (auto text = reader.Read("/etc/systemd/timesyncd.conf")) {
    SHOKO_ASSIGN_OR_RETURN(std::vector<IniSection> sections,
                           ParseIni(*text, env.Describe("/etc/systemd/timesyncd.conf")));
    for (const auto& s : sections) {
      if (s.name != "Time") continue;
      std::istringstream ntp(s.Get("ntp")), fb(s.Get("fallbackntp"));
      for (std::string h; ntp >> h;) servers.push_back(h);
      for (std::string h; fb >> h;) fallback.push_back(h);
    }
  }
  daemons->push_back({{"daemon", "systemd-timesyncd"},
                      {"enabled", enabled},
                      {"config", "/etc/systemd/timesyncd.conf"},
                      {"servers", servers},
                      {"fallback_servers", fallback}});
  return Status::OK();
}

// The kernel's own verdict, meaningful only for the running system.
std::optional<bool> KernelSynchronised(const platform::Env& env) {
  if (!env.IsHostRoot()) return std::nullopt;
  timex tx{};
  int state = ::adjtimex(&tx);
  if (state < 0) return std::nullopt;
  return state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
}

void Judge(const nlohmann::json& daemons, std::optional<bool> synchronised, Observation* obs) {
  bool configured = false;
  for (const auto& d : daemons) {
    configured = configured || !d["servers"].empty() ||
                 (d.contains("fallback_servers") && !d["fallback_servers"].empty()) ||
                 (d["daemon"] == "systemd-timesyncd" && d["enabled"] == true);
  }
  if (synchronised == false) {
    obs->verdict = Verdict::kFail;
    obs->message = "the kernel reports the clock as not synchronised";
  } else if (!configured) {
    obs->verdict = Verdict::kFail;
    obs->message = "no time daemon (chrony, ntpd, systemd-timesyncd) is configured with servers";
  } else {
    const std::string daemon = daemons[0]["daemon"].get<std::string>();
    obs->verdict = Verdict::kPass;
    obs->message = synchronised ? "clock synchronised; " + daemon + " configured"
                                : daemon +
                                      " configured (the clock itself is observable on the running "
                                      "host only)";
  }
}

class TimeSyncCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    nlohmann::json daemons = nlohmann::json::array();
    ConfigReader reader(ctx.env, &obs, kMaxConfigBytes);
    Status s = AddNtpDaemon(ctx.env, reader, "chronyd",
                            {"/etc/chrony/chrony.conf", "/etc/chrony.conf"}, &daemons);
    if (s.ok()) {
      s = AddNtpDaemon(ctx.env, reader, "ntpd", {"/etc/ntpsec/ntp.conf", "/etc/ntp.conf"},
                       &daemons);
    }
    if (s.ok()) s = AddTimesyncd(ctx.env, reader, &daemons);
    if (s.ok()) s = reader.error();
    if (!s.ok()) {
      obs.verdict = Verdict::kError;
      obs.message = s.message();
      return {obs};
    }
    const std::optional<bool> synchronised = KernelSynchronised(ctx.env);
    obs.facts = {{"daemons", daemons},
                 {"clock_synchronised",
                  synchronised ? nlohmann::json(*synchronised) : nlohmann::json(nullptr)}};
    Judge(daemons, synchronised, &obs);
    return {obs};
  }
};

}  // namespace

SHOKO_REGISTER_COLLECTOR(kDeclaration, TimeSyncCollector);

}  // namespace shoko::collectors::logs
