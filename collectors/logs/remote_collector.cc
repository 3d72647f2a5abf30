// logs.remote: whether logs leave the host, so that whoever takes it over
// cannot erase its history (AU-9(2), 8.15): rsyslog forwarding (legacy @ and
// @@ actions, omfwd), syslog-ng network destinations, systemd-journal-upload.
#include <algorithm>
#include <cctype>
#include <sstream>

#include "collectors/collector.h"
#include "collectors/patch/ini.h"

namespace shoko::collectors::logs {
namespace {

constexpr char kCheck[] = "logs.remote";
constexpr size_t kMaxConfigBytes = 4u << 20;

// Scanned by hand, not with std::regex, whose recursion a hostile 4 MB file
// could drive through the stack.
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// name="value" in an rsyslog action(...), the name case-insensitive.
std::string Param(const std::string& text, const std::string& name) {
  const std::string lower = Lower(text);
  const std::string key = Lower(name);
  for (size_t at = lower.find(key); at != std::string::npos; at = lower.find(key, at + 1)) {
    if (at > 0 &&
        (std::isalnum(static_cast<unsigned char>(lower[at - 1])) || lower[at - 1] == '_')) {
      continue;
    }
    size_t i = at + key.size();
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] != '=') continue;
    ++i;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] != '"') continue;
    size_t end = text.find('"', i + 1);
    if (end == std::string::npos) return "";
    return text.substr(i + 1, end - i - 1);
  }
  return "";
}

// Each "KEYWORD( ... )" of `text` (KEYWORD case-insensitive): what is inside.
std::vector<std::string> Calls(const std::string& text, const std::string& keyword) {
  std::vector<std::string> out;
  const std::string lower = Lower(text);
  for (size_t at = lower.find(keyword); at != std::string::npos; at = lower.find(keyword, at + 1)) {
    if (at > 0 &&
        (std::isalnum(static_cast<unsigned char>(lower[at - 1])) || lower[at - 1] == '_')) {
      continue;
    }
    size_t i = at + keyword.size();
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] != '(') continue;
    // The matching ')', past nested options such as port(6514).
    // Bounded, so that nested or unclosed calls cost linear time at most.
    size_t end = i + 1;
    const size_t limit = std::min(text.size(), i + (4u << 10));
    for (int depth = 1; end < limit; ++end) {
      if (text[end] == '(') ++depth;
      if (text[end] == ')' && --depth == 0) break;
    }
    if (end >= limit) continue;
    out.push_back(text.substr(i + 1, end - i - 1));
  }
  return out;
}

class RemoteCollector final : public Collector {
 public:
  std::vector<Observation> Collect(const CollectContext& ctx) const override {
    Observation obs;
    obs.check_id = kCheck;
    nlohmann::json destinations = nlohmann::json::array();
    std::vector<std::string> files;
    auto read = [&](const std::string& path) -> std::optional<std::string> {
      auto text = ctx.env.ReadFile(path, kMaxConfigBytes);
      if (!text.ok()) return std::nullopt;
      files.push_back(path);
      if (auto a = ArtifactOf(ctx.env, path, *text); a.ok())
        obs.artifacts.push_back(std::move(a).value());
      return std::move(text).value();
    };
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
    bool rsyslog_tls_default = false;
    for (const std::string& path : rsyslog) {
      auto text = read(path);
      if (!text) continue;
      // Comments out; RainerScript statements may span lines.
      std::string clean;
      std::istringstream lines(*text);
      int line_no = 0;
      for (std::string line; std::getline(lines, line);) {
        ++line_no;
        size_t hash = line.find('#');
        if (hash != std::string::npos) line.resize(hash);
        clean += line + "\n";
        // Legacy forwarding: "*.* @host:514" (UDP) or "@@host" (TCP), with
        // an optional "(o,z9)" options group after the @s.
        std::istringstream words(line);
        std::string selector, target_word;
        if (words >> selector >> target_word && target_word[0] == '@') {
          const bool tcp = target_word.rfind("@@", 0) == 0;
          std::string target = target_word.substr(tcp ? 2 : 1);
          if (!target.empty() && target[0] == '(') {
            size_t close = target.find(')');
            target = close == std::string::npos ? "" : target.substr(close + 1);
          }
          std::string port;
          size_t colon = target.rfind(':');
          if (colon != std::string::npos && target.find(']') == std::string::npos) {
            port = target.substr(colon + 1);
            target.resize(colon);
          }
          size_t semi = port.find(';');  // a template after the port
          if (semi != std::string::npos) port.resize(semi);
          if (!target.empty()) {
            destinations.push_back({{"via", "rsyslog"},
                                    {"target", target},
                                    {"port", port},
                                    {"protocol", tcp ? "tcp" : "udp"},
                                    {"defined_in", path + ":" + std::to_string(line_no)}});
          }
        }
        if (line.find("$DefaultNetstreamDriver") != std::string::npos &&
            (line.find("gtls") != std::string::npos || line.find("ossl") != std::string::npos)) {
          rsyslog_tls_default = true;
        }
      }
      for (const std::string& params : Calls(clean, "action")) {
        std::string type = Param(params, "type");
        for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (type != "omfwd" && type != "omrelp") continue;
        const std::string driver = Param(params, "StreamDriver");
        const std::string mode = Param(params, "StreamDriverMode");
        destinations.push_back({{"via", "rsyslog"},
                                {"target", Param(params, "target")},
                                {"port", Param(params, "port")},
                                {"protocol", type == "omrelp" ? "relp" : Param(params, "protocol")},
                                {"tls", (driver == "gtls" || driver == "ossl") && mode == "1"},
                                {"defined_in", path}});
      }
      if (clean.find("DefaultNetstreamDriver=\"gtls\"") != std::string::npos ||
          clean.find("DefaultNetstreamDriver=\"ossl\"") != std::string::npos) {
        rsyslog_tls_default = true;
      }
    }
    for (auto& d : destinations) {
      if (!d.contains("tls")) d["tls"] = d["protocol"] == "tcp" && rsyslog_tls_default;
    }

    // syslog-ng: network(), tcp(), udp(), syslog() destinations.
    std::vector<std::string> syslog_ng = {"/etc/syslog-ng/syslog-ng.conf"};
    for (const std::string& f : list("/etc/syslog-ng/conf.d", ".conf")) syslog_ng.push_back(f);
    for (const std::string& path : syslog_ng) {
      auto text = read(path);
      if (!text) continue;
      for (const char* kind : {"network", "tcp", "udp", "syslog"}) {
        for (const std::string& inside : Calls(*text, kind)) {
          size_t q = inside.find('"');
          size_t q2 = q == std::string::npos ? q : inside.find('"', q + 1);
          if (q2 == std::string::npos) continue;  // syslog() as a source has no host
          destinations.push_back({{"via", "syslog-ng"},
                                  {"target", inside.substr(q + 1, q2 - q - 1)},
                                  {"protocol", kind},
                                  {"tls", inside.find("tls") != std::string::npos},
                                  {"defined_in", path}});
        }
      }
    }

    // systemd-journal-upload, when enabled.
    if (ctx.env
            .Stat("/etc/systemd/system/multi-user.target.wants/systemd-journal-upload.service",
                  /*follow=*/false)
            .ok()) {
      std::string url;
      if (auto text = read("/etc/systemd/journal-upload.conf")) {
        auto sections =
            patch::ParseIni(*text, ctx.env.Describe("/etc/systemd/journal-upload.conf"));
        if (!sections.ok()) {
          obs.verdict = Verdict::kError;
          obs.message = sections.status().message();
          return {obs};
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

    obs.facts = {{"destinations", destinations}, {"config_files", files}};
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

SHOKO_REGISTER_COLLECTOR(kCheck, RemoteCollector);

}  // namespace shoko::collectors::logs
