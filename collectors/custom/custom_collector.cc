// Everything is read through the Env: --root applies to the files a check
// reads, never to where the checks come from.
#include "collectors/custom/custom_collector.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "collectors/access/host_files.h"
#include "collectors/common/ini.h"
#include "collectors/common/lines.h"
#include "collectors/helper.h"
#include "collectors/patch/dpkg_status.h"
#include "collectors/patch/patch_common.h"
#include "collectors/patch/rpm_packages.h"
#include "collectors/patch/version_order.h"
#include "platform/strings.h"

namespace shoko::collectors::custom {
namespace {

constexpr size_t kMaxFileBytes = 4u << 20;

struct Outcome {
  enum State { kPass, kFail, kError } state = kFail;
  std::string detail;
};

Outcome Pass(std::string d) { return {Outcome::kPass, std::move(d)}; }
Outcome Fail(std::string d) { return {Outcome::kFail, std::move(d)}; }
Outcome Error(std::string d) { return {Outcome::kError, std::move(d)}; }

// <0, 0, >0 as dpkg (or, on an rpm host, rpm) orders the two versions.
Result<int> CompareVersions(const std::string& a, const std::string& b, bool rpm) {
  if (rpm) return patch::CompareRpmEvr(patch::ParseRpmEvr(a), patch::ParseRpmEvr(b));
  auto va = patch::ParseDebVersion(a);
  auto vb = patch::ParseDebVersion(b);
  if (!va.ok()) return va.status();
  if (!vb.ok()) return vb.status();
  return patch::CompareDebVersions(*va, *vb);
}

// Whether `observed` satisfies `c`; an error when it cannot be read as `c.as`.
Result<bool> Satisfies(const std::string& observed, const Compare& c, bool rpm) {
  for (const std::string& want : c.values) {
    int order = 0;
    if (c.as == "number") {
      char* end = nullptr;
      const double o = std::strtod(observed.c_str(), &end);
      if (observed.empty() || *end != '\0') {
        return Status::InvalidArgument("'" + observed + "' is not a number");
      }
      const double w = std::strtod(want.c_str(), nullptr);
      order = o < w ? -1 : o > w ? 1 : 0;
    } else if (c.as == "version") {
      auto r = CompareVersions(observed, want, rpm);
      if (!r.ok()) return r.status();
      order = *r;
    } else {
      order = observed.compare(want);
    }
    const bool ok = c.op == "eq" || c.op == "in" ? order == 0
                    : c.op == "ne"               ? order != 0
                    : c.op == "lt"               ? order < 0
                    : c.op == "le"               ? order <= 0
                    : c.op == "gt"               ? order > 0
                                                 : order >= 0;
    if (c.op == "ne" && !ok) return false;
    if (c.op != "ne" && ok) return true;
  }
  return c.op == "ne";
}

std::string Describe(const Compare& c) {
  std::string values;
  for (const std::string& v : c.values) values += (values.empty() ? "" : ", ") + v;
  return c.op + " " + values;
}

Outcome Judge(const std::string& what, const std::string& observed, const std::optional<Compare>& c,
              bool rpm) {
  if (!c) return Pass(what + " is " + observed);
  auto ok = Satisfies(observed, *c, rpm);
  if (!ok.ok()) return Error(what + ": " + ok.status().message());
  return *ok ? Pass(what + " is " + observed)
             : Fail(what + " is " + observed + ", not " + Describe(*c));
}

class Evaluator {
 public:
  explicit Evaluator(const CollectContext& ctx) : ctx_(ctx) {
    rpm_ = patch::DetectPackageManager(ctx.env) == patch::PackageManager::kRpm;
  }

  Outcome Run(const Rule& r) {
    if (r.type == "file") return File(r);
    if (r.type == "line") return Line(r);
    if (r.type == "keyvalue") return KeyValue(r);
    if (r.type == "sysctl") return Sysctl(r);
    if (r.type == "package") return Package(r);
    if (r.type == "unit") return Unit(r);
    return Port(r);
  }

 private:
  Outcome File(const Rule& r) {
    auto info = ctx_.env.Stat(r.target);
    if (!info.ok()) {
      if (!info.status().IsNotFound()) return Error(info.status().message());
      if (r.exists == false) return Pass(r.target + " is absent");
      return Fail(r.target + " does not exist");
    }
    if (r.exists == false) return Fail(r.target + " exists");
    std::vector<std::string> wrong;
    if (r.mode_max && (info->mode & 07777 & ~*r.mode_max) != 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "mode %04o exceeds %04o", info->mode & 07777, *r.mode_max);
      wrong.push_back(buf);
    }
    if (!r.owner.empty() && names().User(info->uid) != r.owner) {
      wrong.push_back("owned by " + names().User(info->uid));
    }
    if (!r.group.empty() && names().Group(info->gid) != r.group) {
      wrong.push_back("group " + names().Group(info->gid));
    }
    if (wrong.empty()) return Pass(r.target + " as expected");
    std::string w;
    for (const std::string& x : wrong) w += (w.empty() ? "" : ", ") + x;
    return Fail(r.target + ": " + w);
  }

  Outcome Line(const Rule& r) {
    std::string text;
    if (auto unread = ReadTarget(r, &text)) return *unread;
    Lines lines(text);
    std::optional<Outcome> first_failure;
    for (std::string_view line; lines.Next(&line);) {
      std::string capture;
      const bool match = r.regex->NumberOfCapturingGroups() >= 1
                             ? RE2::PartialMatch(line, *r.regex, &capture)
                             : RE2::PartialMatch(line, *r.regex);
      if (!match) continue;
      const std::string where = r.target + ":" + std::to_string(lines.number());
      if (r.expect_absent) return Fail(where + " matches");
      Outcome o = Judge(where, capture.empty() ? "a match" : capture, r.compare, rpm_);
      if (o.state != Outcome::kFail) return o;
      if (!first_failure) first_failure = o;
    }
    if (first_failure) return *first_failure;
    return r.expect_absent ? Pass("no line of " + r.target + " matches")
                           : Fail("no line of " + r.target + " matches");
  }

  Outcome KeyValue(const Rule& r) {
    if (r.format == "sshd") return SshdKeyValue(r);
    std::string text;
    if (auto unread = ReadTarget(r, &text)) return *unread;
    std::optional<std::string> value;
    if (r.format == "ini") {
      auto ini = IniValue(r, text);
      if (!ini.ok()) return Error(ini.status().message());
      value = *ini;
    } else {
      value = LineValue(r, text);
    }
    if (!value) {
      return r.expect_absent ? Pass(r.key + " is not set in " + r.target)
                             : Fail(r.key + " is not set in " + r.target);
    }
    if (r.expect_absent) return Fail(r.key + " is set in " + r.target);
    return Judge(r.key, *value, r.compare, rpm_);
  }

  // format sshd: the effective configuration as access.sshd reads it
  // (Includes, first value wins, OpenSSH's defaults for what it judges), and
  // every Match block that sets the keyword, so that the two cannot disagree.
  Outcome SshdKeyValue(const Rule& r) {
    const Result<access::SshdConfig>& config = access::SshdConfigOf(ctx_, r.target);
    if (!config.ok()) {
      if (!config.status().IsNotFound()) return Error(config.status().message());
      return r.expect_absent ? Pass(r.target + " does not exist")
                             : Fail(r.target + " does not exist");
    }
    const std::string keyword = platform::ToLower(r.key);
    std::vector<std::pair<std::string, std::string>> values;  // where → value
    if (config->effective.contains(keyword)) {
      const nlohmann::json& v = config->effective[keyword];
      values.emplace_back(r.key, v.is_array()
                                     ? platform::Join(v.get<std::vector<std::string>>(), " ")
                                     : v.get<std::string>());
    }
    for (const access::SshdMatchBlock& b : config->match_blocks) {
      if (!b.overrides.contains(keyword)) continue;
      values.emplace_back(
          r.key + " in Match " + b.criteria + " (" + b.file + ":" + std::to_string(b.line) + ")",
          b.overrides[keyword].get<std::string>());
    }
    if (values.empty()) {
      return r.expect_absent ? Pass(r.key + " is not set in " + r.target)
                             : Fail(r.key + " is not set in " + r.target);
    }
    if (r.expect_absent) return Fail(r.key + " is set in " + r.target);
    std::optional<Compare> compare = r.compare;  // spelled as sshd -T prints values
    if (compare) {
      for (std::string& v : compare->values) v = access::NormalizeSshdValue(keyword, v);
    }
    for (const auto& [where, value] : values) {
      if (Outcome o = Judge(where, value, compare, rpm_); o.state != Outcome::kPass) return o;
    }
    return Judge(values.front().first, values.front().second, compare, rpm_);
  }

  // format ini: the last value of the key (lower case, as ParseIni keeps
  // keys) in the section, or in any section when none is named.
  Result<std::optional<std::string>> IniValue(const Rule& r, const std::string& text) {
    SHOKO_ASSIGN_OR_RETURN(std::vector<IniSection> sections,
                           ParseIni(text, ctx_.env.Describe(r.target)));
    const std::string key = platform::ToLower(r.key);
    std::optional<std::string> value;
    for (const auto& s : sections) {
      if (!r.section.empty() && s.name != r.section) continue;
      for (const auto& [k, v] : s.values) {
        if (k == key) value = v;  // the last one wins
      }
    }
    return value;
  }

  // formats space (login.defs: the first value wins), equals and shell (the
  // last value wins; shell's "export " and quotes dropped).
  static std::optional<std::string> LineValue(const Rule& r, const std::string& text) {
    std::optional<std::string> value;
    Lines lines(text);
    for (std::string_view raw; lines.Next(&raw);) {
      std::string line(platform::Trim(raw));
      if (line.empty() || line[0] == '#') continue;
      std::string k, v;
      if (r.format == "space") {
        const size_t sep = line.find_first_of(" \t=");
        if (sep == std::string::npos) continue;
        k = line.substr(0, sep);
        v = std::string(platform::Trim(line.substr(sep + 1)));
      } else {
        if (r.format == "shell" && line.starts_with("export ")) {
          line = std::string(platform::Trim(line.substr(7)));
        }
        const size_t eq = line.find('=');
        if (eq == std::string::npos) continue;
        k = std::string(platform::Trim(line.substr(0, eq)));
        v = std::string(platform::Trim(line.substr(eq + 1)));
        if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
          v = v.substr(1, v.size() - 2);
        }
      }
      if (k != r.key || (value && r.format == "space")) continue;
      value = v;
    }
    return value;
  }

  Outcome Sysctl(const Rule& r) {
    std::string path = "/proc/sys/" + r.target;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    auto text = ctx_.env.ReadFile(path, 64 << 10);
    if (!text.ok()) {
      return Error(text.status().IsNotFound() ? r.target + " is not observable here (" +
                                                    ctx_.env.Describe(path) + " does not exist)"
                                              : text.status().message());
    }
    std::istringstream words(*text);
    std::string value, w;
    while (words >> w) value += (value.empty() ? "" : " ") + w;
    return Judge(r.target, value, r.compare, rpm_);
  }

  Outcome Package(const Rule& r) {
    std::optional<std::string> version;
    if (rpm_) {
      const auto& packages = rpm_packages();
      if (!packages.ok()) return Error(packages.status().message());
      for (const auto& p : *packages) {
        if (p.name == r.target) {
          version = (p.epoch ? *p.epoch + ":" : "") + p.version + "-" + p.release;
        }
      }
    } else {
      auto db = patch::ReadDpkgDatabase(ctx_.env);
      if (!db.ok()) {
        if (db.status().IsNotFound()) return Error("no package database under this root");
        return Error(db.status().message());
      }
      for (const auto& p : (*db)->packages) {
        if (p.name == r.target && p.state == "installed") version = p.version;
      }
    }
    if (!version) {
      return r.installed == false ? Pass(r.target + " is not installed")
                                  : Fail(r.target + " is not installed");
    }
    if (r.installed == false) return Fail(r.target + " " + *version + " is installed");
    return Judge(r.target, *version, r.compare, rpm_);
  }

  Outcome Unit(const Rule& r) {
    std::vector<std::string> parts;
    if (r.enabled) {
      bool masked = false, enabled = false;
      if (auto link = ctx_.env.ReadLink("/etc/systemd/system/" + r.target);
          link.ok() && *link == "/dev/null") {
        masked = true;
      }
      for (const std::string& dir : WantsDirs()) {
        if (ctx_.env.Stat(dir + "/" + r.target, /*follow=*/false).ok()) enabled = true;
      }
      enabled = enabled && !masked;
      if (enabled != *r.enabled) {
        return Fail(r.target + (masked    ? " is masked"
                                : enabled ? " is enabled"
                                          : " is not enabled"));
      }
      parts.push_back(enabled ? "enabled" : masked ? "masked" : "not enabled");
    }
    if (r.running) {
      if (!ctx_.env.Stat("/sys/fs/cgroup/system.slice").ok()) {
        return Error("whether " + r.target +
                     " runs is not observable here (no cgroup v2 "
                     "system.slice under the root)");
      }
      auto procs =
          ctx_.env.ReadFile("/sys/fs/cgroup/system.slice/" + r.target + "/cgroup.procs", 1 << 20);
      const bool running = procs.ok() && !std::string(platform::Trim(*procs)).empty();
      if (running != *r.running) {
        return Fail(r.target + (running ? " is running" : " is not running"));
      }
      parts.push_back(running ? "running" : "not running");
    }
    std::string d;
    for (const std::string& p : parts) d += (d.empty() ? "" : ", ") + p;
    return Pass(r.target + " " + d);
  }

  Outcome Port(const Rule& r) {
    const std::optional<std::set<long>>& bound = BoundPorts(r.proto);
    if (!bound) {
      return Error("listening sockets are not observable here (no /proc/net/" + r.proto +
                   " under the root)");
    }
    const bool listening = bound->contains(r.port);
    const std::string what = r.proto + "/" + std::to_string(r.port);
    if (listening != *r.listening)
      return Fail(what + (listening ? " is listening" : " is not listening"));
    return Pass(what + (listening ? " is listening" : " is not listening"));
  }

  // The ports bound for anyone on `proto` ("tcp", "udp"), IPv4 and IPv6,
  // from /proc/net: read once per sweep; none when neither file is there.
  const std::optional<std::set<long>>& BoundPorts(const std::string& proto) {
    auto [it, fresh] = bound_ports_.try_emplace(proto);
    if (!fresh) return it->second;
    for (const std::string& suffix : {std::string(""), std::string("6")}) {
      auto text = ctx_.env.ReadFile("/proc/net/" + proto + suffix, 16 << 20);
      if (!text.ok()) continue;
      if (!it->second) it->second.emplace();
      Lines lines(*text);
      std::string_view line;
      lines.Next(&line);  // the header
      while (lines.Next(&line)) {
        std::istringstream words{std::string(line)};
        std::string sl, local, remote, state;
        if (!(words >> sl >> local >> remote >> state)) continue;
        const size_t colon = local.rfind(':');
        if (colon == std::string::npos) continue;
        // TCP_LISTEN is 0A; an unconnected UDP socket (07) is bound for anyone.
        if (proto == "tcp" ? state == "0A" : state == "07") {
          it->second->insert(std::strtol(local.c_str() + colon + 1, nullptr, 16));
        }
      }
    }
    return it->second;
  }

  // The unit directories' *.wants and *.requires folders, where enabling a
  // unit links it: listed once per sweep.
  const std::vector<std::string>& WantsDirs() {
    if (wants_dirs_) return *wants_dirs_;
    wants_dirs_.emplace();
    for (const char* dir : {"/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system",
                            "/lib/systemd/system"}) {
      auto names = ctx_.env.ListDir(dir);
      if (!names.ok()) continue;
      for (const std::string& n : *names) {
        if (n.ends_with(".wants") || n.ends_with(".requires"))
          wants_dirs_->push_back(std::string(dir) + "/" + n);
      }
    }
    return *wants_dirs_;
  }

  // The target file's text in `text`; or, when it cannot be read, the rule's
  // outcome: a missing file passes a rule that expects it absent.
  std::optional<Outcome> ReadTarget(const Rule& r, std::string* text) {
    auto read = ctx_.env.ReadFile(r.target, kMaxFileBytes);
    if (read.ok()) {
      *text = std::move(read).value();
      return std::nullopt;
    }
    if (!read.status().IsNotFound()) return Error(read.status().message());
    return r.expect_absent ? Pass(r.target + " does not exist")
                           : Fail(r.target + " does not exist");
  }

  // The rpm database through its helper: one run per sweep, not per rule.
  const Result<std::vector<patch::RpmPackage>>& rpm_packages() {
    if (!rpm_packages_) {
      auto json = RunHelper(ctx_.helpers, "rpm-packages", ctx_.env.RootDir());
      rpm_packages_ = json.ok() ? patch::ParseRpmPackagesJson(*json)
                                : Result<std::vector<patch::RpmPackage>>(json.status());
    }
    return *rpm_packages_;
  }

  // Read once per sweep, on the first rule that needs a name.
  const access::AccountNames& names() { return access::AccountNamesOf(ctx_); }

  const CollectContext& ctx_;
  bool rpm_ = false;
  std::optional<Result<std::vector<patch::RpmPackage>>> rpm_packages_;
  std::map<std::string, std::optional<std::set<long>>> bound_ports_;  // by proto
  std::optional<std::vector<std::string>> wants_dirs_;
};

// One check's record: each rule's outcome, and the verdict its condition
// (all, any, none) gives them.
Observation Evaluate(const CustomCheck& c, Evaluator& evaluator) {
  Observation obs;
  obs.check_id = c.CheckId();
  obs.controls = c.controls;
  nlohmann::json rules = nlohmann::json::array();
  int passed = 0, errors = 0;
  std::vector<std::string> failures, error_texts;
  for (const Rule& r : c.rules) {
    const Outcome o = evaluator.Run(r);
    const char* state = o.state == Outcome::kPass   ? "pass"
                        : o.state == Outcome::kFail ? "fail"
                                                    : "error";
    nlohmann::json j = {
        {"type", r.type}, {"target", r.target}, {"result", state}, {"detail", o.detail}};
    if (!r.description.empty()) j["description"] = r.description;
    rules.push_back(std::move(j));
    passed += o.state == Outcome::kPass;
    if (o.state == Outcome::kError) {
      ++errors;
      error_texts.push_back(o.detail);
    }
    if (o.state == Outcome::kFail) failures.push_back(o.detail);
  }
  const int n = static_cast<int>(c.rules.size());
  obs.facts = {{"title", c.title},
               {"rationale", c.rationale},
               {"condition", c.condition},
               {"defined_in", c.file + ":" + std::to_string(c.line)},
               {"rules", rules}};
  const bool pass = c.condition == "all"   ? passed == n
                    : c.condition == "any" ? passed > 0
                                           : passed == 0;
  // An error decides only when the answer could depend on it.
  const bool decided = c.condition == "all"   ? (!pass && !failures.empty()) || errors == 0
                       : c.condition == "any" ? pass || errors == 0
                                              : !pass || errors == 0;
  if (!decided) {
    obs.verdict = Verdict::kError;
    obs.message = c.title + ": " + platform::Join(error_texts, "; ");
  } else if (pass) {
    obs.verdict = Verdict::kPass;
    obs.message = c.title;
  } else {
    obs.verdict = Verdict::kFail;
    obs.message = c.title + ": " +
                  (c.condition == "none"  ? std::string("a rule holds that must not")
                   : c.condition == "any" ? "no rule holds: " + platform::Join(failures, "; ")
                                          : platform::Join(failures, "; "));
  }
  return obs;
}

}  // namespace

std::vector<Observation> CustomCollector::Collect(const CollectContext& ctx) const {
  std::vector<Observation> out;
  Evaluator evaluator(ctx);
  for (const CustomCheck& c : checks_.checks()) out.push_back(Evaluate(c, evaluator));
  return out;
}

}  // namespace shoko::collectors::custom
