#include "collectors/patch/dnf_metadata.h"

#include <expat.h>
#include <fnmatch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "collectors/common/decompress.h"
#include "collectors/common/ini.h"
#include "collectors/common/lines.h"
#include "collectors/helper.h"
#include "collectors/patch/rpm_packages.h"
#include "platform/strings.h"

namespace shoko::collectors::patch {
namespace {

constexpr size_t kMaxRepoFileBytes = 1u << 20;
constexpr size_t kMaxCompressedBytes = 256u << 20;
constexpr size_t kMaxMetadataBytes = 1u << 30;
constexpr size_t kMaxModulesBytes = 256u << 20;

// A SAX pass over `xml` with expat; element names without namespace prefixes.
class Sax {
 public:
  std::function<void(const std::string&, const char**)> start;
  std::function<void(const std::string&, const std::string&)> end;  // name, its text

  Sax() = default;
  Sax(const Sax&) = delete;
  Sax& operator=(const Sax&) = delete;
  ~Sax() {
    if (parser_ != nullptr) XML_ParserFree(parser_);
  }

  // The whole of `input`: XML, or XML compressed with gzip, xz or zstd, which
  // is decompressed chunk by chunk into the parser (never whole in memory).
  Status Run(std::string_view input, std::string_view file) {
    file_ = std::string(file);
    parser_ = XML_ParserCreate(nullptr);
    if (parser_ == nullptr) return Status::Internal("expat: out of memory");
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, &Sax::OnStart, &Sax::OnEnd);
    XML_SetCharacterDataHandler(parser_, &Sax::OnText);
    Status fed = DecompressEach(input, file, kMaxMetadataBytes,
                                [this](std::string_view chunk) { return Feed(chunk, false); });
    if (!fed.ok()) return fed;
    return Feed({}, true);
  }

 private:
  Status Feed(std::string_view chunk, bool last) {
    // Pieces, so that a length never overflows expat's int.
    do {
      const size_t n = std::min<size_t>(chunk.size(), 1u << 24);
      const bool final_piece = last && n == chunk.size();
      if (XML_Parse(parser_, chunk.data(), static_cast<int>(n), final_piece) == XML_STATUS_ERROR) {
        return Status::Corruption(file_ + ":" + std::to_string(XML_GetCurrentLineNumber(parser_)) +
                                  ": " + XML_ErrorString(XML_GetErrorCode(parser_)));
      }
      chunk.remove_prefix(n);
    } while (!chunk.empty());
    return Status::OK();
  }

  static std::string Local(const char* name) {
    std::string n = name;
    size_t colon = n.rfind(':');
    return colon == std::string::npos ? n : n.substr(colon + 1);
  }
  static void OnStart(void* self, const char* name, const char** attrs) {
    auto* s = static_cast<Sax*>(self);
    s->text_.clear();
    if (s->start) s->start(Local(name), attrs);
  }
  static void OnEnd(void* self, const char* name) {
    auto* s = static_cast<Sax*>(self);
    if (s->end) s->end(Local(name), s->text_);
    s->text_.clear();
  }
  static void OnText(void* self, const char* text, int len) {
    auto* s = static_cast<Sax*>(self);
    if (s->text_.size() < 4096) s->text_.append(text, static_cast<size_t>(len));
  }
  std::string text_;
  std::string file_;
  XML_Parser parser_ = nullptr;
};

std::string Attr(const char** attrs, std::string_view key) {
  for (int i = 0; attrs[i] != nullptr; i += 2) {
    if (key == attrs[i]) return attrs[i + 1];
  }
  return "";
}

RpmEvr EvrFromAttrs(const char** attrs, const char* version_key) {
  RpmEvr evr;
  std::string epoch = Attr(attrs, "epoch");
  if (!epoch.empty()) evr.epoch = epoch;
  evr.version = Attr(attrs, version_key);
  evr.release = Attr(attrs, "rel").empty() ? Attr(attrs, "release") : Attr(attrs, "rel");
  return evr;
}

std::string EvrText(const RpmEvr& e) {
  std::string s = e.epoch && *e.epoch != "0" ? *e.epoch + ":" : "";
  return s + e.version + (e.release ? "-" + *e.release : "");
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// dnf's list options: items separated by commas and/or whitespace.
std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> items;
  std::string item;
  for (char c : value + ",") {
    if (c == ',' || c == ' ' || c == '\t' || c == '\n') {
      if (!item.empty()) items.push_back(std::move(item));
      item.clear();
    } else {
      item += c;
    }
  }
  return items;
}

}  // namespace

bool DnfRepo::Offers(const std::string& name) const {
  for (const std::string& glob : exclude) {
    if (::fnmatch(glob.c_str(), name.c_str(), 0) == 0) return false;
  }
  if (include.empty()) return true;
  for (const std::string& glob : include) {
    if (::fnmatch(glob.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

Result<std::vector<DnfRepo>> LoadDnfRepos(const platform::Env& env) {
  std::vector<DnfRepo> repos;
  auto names = env.ListDir("/etc/yum.repos.d");
  if (!names.ok()) {
    if (names.status().IsNotFound()) return repos;
    return names.status();
  }
  std::vector<std::string> cache_entries;
  if (auto c = env.ListDir("/var/cache/dnf"); c.ok()) cache_entries = std::move(c).value();
  std::vector<std::string> global_exclude;
  if (auto conf = env.ReadFile("/etc/dnf/dnf.conf", kMaxRepoFileBytes); conf.ok()) {
    auto sections = ParseIni(*conf, env.Describe("/etc/dnf/dnf.conf"));
    if (!sections.ok()) return sections.status();
    for (const IniSection& section : *sections) {
      if (section.name != "main") continue;
      for (const char* key : {"excludepkgs", "exclude"}) {
        for (std::string& g : SplitList(section.Get(key))) global_exclude.push_back(std::move(g));
      }
    }
  } else if (!conf.status().IsNotFound()) {
    return conf.status();
  }
  for (const std::string& n : *names) {
    if (!n.ends_with(".repo")) continue;
    const std::string path = "/etc/yum.repos.d/" + n;
    auto text = env.ReadFile(path, kMaxRepoFileBytes);
    if (!text.ok()) return text.status();
    auto sections = ParseIni(*text, env.Describe(path));
    if (!sections.ok()) return sections.status();
    for (const IniSection& section : *sections) {
      DnfRepo repo;
      repo.id = section.name;
      repo.defined_in = path + ":" + std::to_string(section.line);
      const std::string enabled = Lower(section.Get("enabled", "1"));
      repo.exclude = global_exclude;
      for (const char* key : {"excludepkgs", "exclude"}) {
        for (std::string& g : SplitList(section.Get(key))) repo.exclude.push_back(std::move(g));
      }
      repo.include = SplitList(section.Get("includepkgs"));
      // libdnf's booleans: 0/no/false/off, any case.
      repo.enabled = !(enabled == "0" || enabled == "false" || enabled == "no" || enabled == "off");
      repos.push_back(std::move(repo));
    }
  }
  // dnf 4 caches a repository in ID-HASH (16 hex digits); several can exist
  // after a baseurl change: the one with the newest repomd.xml counts.
  for (DnfRepo& repo : repos) {
    int64_t newest = -1;
    for (const std::string& e : cache_entries) {
      if (e.size() != repo.id.size() + 17 || e.compare(0, repo.id.size(), repo.id) != 0 ||
          e[repo.id.size()] != '-' || !IsHex(std::string_view(e).substr(repo.id.size() + 1))) {
        continue;
      }
      auto info = env.Stat("/var/cache/dnf/" + e + "/repodata/repomd.xml");
      if (info.ok() && info->mtime_us > newest) {
        newest = info->mtime_us;
        repo.cache_dir = "/var/cache/dnf/" + e;
      }
    }
  }
  return repos;
}

Result<std::map<std::string, std::string>> ParseRepomd(std::string_view xml,
                                                       std::string_view file) {
  std::map<std::string, std::string> locations;
  std::string type;
  Sax sax;
  sax.start = [&](const std::string& name, const char** attrs) {
    if (name == "data") type = Attr(attrs, "type");
    if (name == "location" && !type.empty()) locations[type] = Attr(attrs, "href");
  };
  sax.end = [&](const std::string& name, const std::string&) {
    if (name == "data") type.clear();
  };
  if (Status s = sax.Run(xml, file); !s.ok()) return s;
  return locations;
}

Result<std::vector<RepoPackage>> ParsePrimary(std::string_view xml, std::string_view file,
                                              const std::function<bool(const std::string&)>& keep) {
  std::vector<RepoPackage> out;
  RepoPackage current;
  bool in_package = false;
  Sax sax;
  sax.start = [&](const std::string& name, const char** attrs) {
    if (name == "package" && !in_package) {
      in_package = true;
      current = RepoPackage();
    } else if (in_package && name == "version" && current.evr.version.empty()) {
      current.evr = EvrFromAttrs(attrs, "ver");
    }
  };
  sax.end = [&](const std::string& name, const std::string& text) {
    if (!in_package) return;
    if (name == "name" && current.name.empty()) current.name = text;
    if (name == "arch" && current.arch.empty()) current.arch = text;
    if (name == "package") {
      in_package = false;
      if (!current.name.empty() && keep(current.name)) out.push_back(std::move(current));
    }
  };
  if (Status s = sax.Run(xml, file); !s.ok()) return s;
  return out;
}

Result<std::vector<Advisory>> ParseUpdateinfo(std::string_view xml, std::string_view file) {
  std::vector<Advisory> out;
  bool in_update = false;
  Sax sax;
  sax.start = [&](const std::string& name, const char** attrs) {
    if (name == "update") {
      in_update = true;
      out.push_back(Advisory());
      out.back().type = Attr(attrs, "type");
    } else if (in_update && name == "package") {
      RepoPackage p;
      p.name = Attr(attrs, "name");
      p.arch = Attr(attrs, "arch");
      p.evr = EvrFromAttrs(attrs, "version");
      out.back().packages.push_back(std::move(p));
    }
  };
  sax.end = [&](const std::string& name, const std::string& text) {
    if (!in_update) return;
    if (name == "id" && out.back().id.empty()) out.back().id = std::string(platform::Trim(text));
    if (name == "severity") out.back().severity = std::string(platform::Trim(text));
    if (name == "update") in_update = false;
  };
  if (Status s = sax.Run(xml, file); !s.ok()) return s;
  return out;
}

namespace {

// yaml-cpp misbehaves on some malformed input (it recurses once per nesting
// level, and binary garbage has made it allocate without bound), so only
// what modulemd is goes in: UTF-8 text without control bytes, nested a few
// levels (real modulemd nests about 6 deep).
Status CheckModulesText(std::string_view yaml, std::string_view file) {
  for (size_t i = 0, line_no = 1; i < yaml.size(); ++i) {
    const auto c = static_cast<unsigned char>(yaml[i]);
    if (c == '\n') ++line_no;
    const bool control = (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
    size_t continuation = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    bool bad_utf8 = (c >= 0x80 && c < 0xc0) || c >= 0xf8 ||
                    i + continuation >= yaml.size() + (continuation ? 0 : 1);
    for (size_t k = 1; !bad_utf8 && k <= continuation; ++k) {
      bad_utf8 = (static_cast<unsigned char>(yaml[i + k]) & 0xc0) != 0x80;
    }
    if (control || bad_utf8) {
      return Status::Corruption(std::string(file) + ":" + std::to_string(line_no) +
                                ": not UTF-8 text (module metadata is)");
    }
    i += continuation;
  }
  int depth = 0, line = 1;
  size_t indent = 0;
  bool at_line_start = true;
  for (char c : yaml) {
    if (c == '\n') {
      ++line;
      at_line_start = true;
      indent = 0;
      continue;
    }
    if (at_line_start && c == ' ') {
      if (++indent > 256) {
        return Status::Corruption(std::string(file) + ":" + std::to_string(line) +
                                  ": indented too deep for module metadata");
      }
      continue;
    }
    at_line_start = false;
    if (c == '[' || c == '{') {
      if (++depth > 64) {
        return Status::Corruption(std::string(file) + ":" + std::to_string(line) +
                                  ": nested too deep for module metadata");
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return Status::OK();
}

// The documents of a stream, split at "---" lines, each with its first line:
// yaml-cpp's LoadAll can loop forever on some malformed streams (",\n- 5"
// yields document after document without consuming input), allocating
// without bound.
std::vector<std::pair<std::string, int>> SplitDocuments(std::string_view yaml) {
  std::vector<std::pair<std::string, int>> documents;
  std::string current;
  int first = 1;
  Lines lines(yaml);
  for (std::string_view row; lines.Next(&row);) {
    if (row == "---" || row.starts_with("--- ") || row == "...") {
      if (!current.empty()) documents.emplace_back(std::move(current), first);
      current.clear();
      first = lines.number() + 1;
      if (row.starts_with("--- ")) {  // content on the marker line
        current = std::string(row.substr(4)) + "\n";
        first = lines.number();
      }
      continue;
    }
    current.append(row).push_back('\n');
  }
  if (!current.empty()) documents.emplace_back(std::move(current), first);
  return documents;
}

// A modulemd document's stream artifacts, or a modulemd-defaults document's
// default stream; other documents add nothing.
void AddModuleDocument(const YAML::Node& doc, ModuleIndex* index) {
  if (!doc.IsMap() || !doc["document"] || !doc["data"] || !doc["data"].IsMap()) return;
  const std::string kind = doc["document"].as<std::string>("");
  const YAML::Node& data = doc["data"];
  if (kind == "modulemd") {
    const std::string name = data["name"].as<std::string>("");
    const std::string stream = data["stream"].as<std::string>("");
    if (name.empty() || stream.empty()) return;
    auto& artifacts = index->artifacts[{name, stream}];
    const YAML::Node rpms = data["artifacts"] ? data["artifacts"]["rpms"] : YAML::Node();
    if (rpms && rpms.IsSequence()) {
      for (const YAML::Node& r : rpms) artifacts.push_back(r.as<std::string>(""));
    }
  } else if (kind == "modulemd-defaults") {
    const std::string name = data["module"].as<std::string>("");
    const std::string stream = data["stream"] ? data["stream"].as<std::string>("") : "";
    if (!name.empty() && !stream.empty()) index->defaults[name] = stream;
  }
}

}  // namespace

Status ParseModulesYaml(std::string_view yaml, std::string_view file, ModuleIndex* index) {
  SHOKO_RETURN_IF_ERROR(CheckModulesText(yaml, file));
  int doc_line = 1;
  try {
    for (const auto& [doc_text, first_line] : SplitDocuments(yaml)) {
      doc_line = first_line;
      AddModuleDocument(YAML::Load(doc_text), index);
    }
  } catch (const YAML::Exception& e) {
    return Status::Corruption(std::string(file) + ":" +
                              std::to_string(doc_line + std::max(e.mark.line, 0)) + ": " + e.msg);
  } catch (const std::exception& e) {  // bad_alloc, as the last line of defence
    return Status::Corruption(std::string(file) + ": cannot read module metadata: " + e.what());
  }
  return Status::OK();
}

Result<ModuleFilter> ModuleFilter::For(const ModuleIndex& index, const platform::Env& env) {
  // Module states as dnf keeps them: /etc/dnf/modules.d/NAME.module.
  std::map<std::string, std::pair<std::string, std::string>> states;  // name → (state, stream)
  if (auto names = env.ListDir("/etc/dnf/modules.d"); names.ok()) {
    for (const std::string& n : *names) {
      if (!n.ends_with(".module")) continue;
      const std::string path = "/etc/dnf/modules.d/" + n;
      auto text = env.ReadFile(path, kMaxRepoFileBytes);
      if (!text.ok()) return text.status();
      auto sections = ParseIni(*text, env.Describe(path));
      if (!sections.ok()) return sections.status();
      for (const IniSection& s : *sections) {
        states[s.name] = {Lower(s.Get("state")), s.Get("stream")};
      }
    }
  }
  ModuleFilter filter;
  for (const auto& [key, artifacts] : index.artifacts) {
    const auto& [module, stream] = key;
    std::string active;  // the module's active stream, if any
    auto st = states.find(module);
    if (st != states.end() && st->second.first == "enabled") {
      active = st->second.second;
    } else if (st == states.end() || st->second.first.empty()) {
      auto d = index.defaults.find(module);
      if (d != index.defaults.end()) active = d->second;
    }
    for (const std::string& nevra : artifacts) {
      filter.modular_.insert(nevra);
      if (stream == active) {
        filter.active_.insert(nevra);
        // NAME-EPOCH:VERSION-RELEASE.ARCH → NAME
        std::string n = nevra.substr(0, nevra.rfind('.'));
        for (int dash = 0; dash < 2 && n.rfind('-') != std::string::npos; ++dash) {
          n.resize(n.rfind('-'));
        }
        filter.active_names_.insert(n);
      }
    }
  }
  return filter;
}

bool ModuleFilter::Allows(const RepoPackage& p) const {
  if (modular_.empty()) return true;
  const std::string nevra = p.name + "-" + p.evr.epoch.value_or("0") + ":" + p.evr.version + "-" +
                            p.evr.release.value_or("") + "." + p.arch;
  if (modular_.count(nevra) > 0) return active_.count(nevra) > 0;
  // A non-modular package is hidden behind an active stream that ships its name.
  return active_names_.count(p.name) == 0;
}

namespace {

// What dnf would upgrade under one root: the newest installed EVR per (name,
// arch), and the newer versions and advisories each enabled repository's
// cached metadata offers for them.
class UpgradableScan {
 public:
  explicit UpgradableScan(const platform::Env& env) : env_(env) {}

  // Newest installed EVR per (name, arch): install-only packages such as
  // kernel-core are installed side by side.
  void SetInstalled(const std::vector<RpmPackage>& installed) {
    for (const RpmPackage& p : installed) {
      RpmEvr evr{p.epoch, p.version, p.release};
      auto key = std::make_pair(p.name, p.arch);
      auto it = newest_.find(key);
      if (it == newest_.end() || CompareRpmEvr(evr, it->second) > 0) newest_[key] = evr;
      names_.insert(p.name);
    }
  }

  // First every repository's repomd.xml and module metadata: which packages
  // belong to module streams decides what the primary lists may offer.
  Status ReadRepositories(const std::vector<DnfRepo>& repos) {
    for (const DnfRepo& repo : repos) {
      if (!repo.enabled) continue;
      if (repo.cache_dir.empty()) {
        warnings_.push_back("repository " + repo.id + " (" + repo.defined_in +
                            ") has no cached metadata under /var/cache/dnf");
        continue;
      }
      const std::string repomd_path = repo.cache_dir + "/repodata/repomd.xml";
      SHOKO_ASSIGN_OR_RETURN(std::string repomd, env_.ReadFile(repomd_path, kMaxRepoFileBytes));
      SHOKO_ASSIGN_OR_RETURN(auto locations, ParseRepomd(repomd, env_.Describe(repomd_path)));
      SHOKO_ASSIGN_OR_RETURN(std::optional<Stored> modular, Read(repo, locations, "modules"));
      if (modular) {
        SHOKO_ASSIGN_OR_RETURN(std::string yaml,
                               Decompress(modular->first, modular->second, kMaxModulesBytes));
        SHOKO_RETURN_IF_ERROR(ParseModulesYaml(yaml, modular->second, &modules_));
      }
      usable_.emplace_back(&repo, std::move(locations));
    }
    SHOKO_ASSIGN_OR_RETURN(filter_, ModuleFilter::For(modules_, env_));
    for (const auto& [repo, locations] : usable_) {
      SHOKO_RETURN_IF_ERROR(ReadOffers(*repo, locations));
    }
    return Status::OK();
  }

  std::string Json() {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [key, c] : candidates_) {
      const RpmEvr& have = newest_[key];
      bool security = false;
      nlohmann::json fixes = nlohmann::json::array();
      for (const auto& [repo_id, a] : advisories_) {
        for (const RepoPackage& p : a.packages) {
          if (p.name != key.first || p.arch != key.second) continue;
          if (CompareRpmEvr(p.evr, have) <= 0 || CompareRpmEvr(p.evr, c.evr) > 0) continue;
          fixes.push_back({{"id", a.id}, {"type", a.type}, {"severity", a.severity}});
          security = security || a.type == "security";
          break;
        }
      }
      list.push_back({{"name", key.first},
                      {"arch", key.second},
                      {"installed", EvrText(have)},
                      {"candidate", EvrText(c.evr)},
                      {"security", security},
                      {"suites", std::vector<std::string>(c.repos.begin(), c.repos.end())},
                      {"advisories", fixes}});
    }
    return nlohmann::json({{"upgradable", list}, {"warnings", warnings_}}).dump();
  }

 private:
  // A file as stored (compressed), with its name for messages.
  using Stored = std::pair<std::string, std::string>;
  using Locations = std::map<std::string, std::string>;
  struct Candidate {
    RpmEvr evr;
    std::set<std::string> repos;
  };

  // The file of `type` a repository's repomd.xml names, when it names one.
  Result<std::optional<Stored>> Read(const DnfRepo& repo, const Locations& locations,
                                     const std::string& type) const {
    auto it = locations.find(type);
    if (it == locations.end()) return std::optional<Stored>();
    const std::string path = repo.cache_dir + "/" + it->second;
    SHOKO_ASSIGN_OR_RETURN(std::string raw, env_.ReadFile(path, kMaxCompressedBytes));
    return std::optional<Stored>(Stored{std::move(raw), env_.Describe(path)});
  }

  // One repository's newer versions of installed packages (as dnf's
  // excludes and modular filtering let it offer them) and its advisories.
  Status ReadOffers(const DnfRepo& repo, const Locations& locations) {
    SHOKO_ASSIGN_OR_RETURN(std::optional<Stored> primary, Read(repo, locations, "primary"));
    if (!primary) {
      warnings_.push_back("repository " + repo.id + ": repomd.xml names no primary metadata");
      return Status::OK();
    }
    SHOKO_ASSIGN_OR_RETURN(std::vector<RepoPackage> packages,
                           ParsePrimary(primary->first, primary->second,
                                        [&](const std::string& n) { return names_.count(n) > 0; }));
    for (const RepoPackage& p : packages) {
      if (!repo.Offers(p.name) || !filter_->Allows(p)) continue;
      auto it = newest_.find({p.name, p.arch});
      if (it == newest_.end() || CompareRpmEvr(p.evr, it->second) <= 0) continue;
      Candidate& c = candidates_[{p.name, p.arch}];
      if (c.evr.version.empty() || CompareRpmEvr(p.evr, c.evr) > 0) {
        c.evr = p.evr;
        c.repos = {repo.id};
      } else if (CompareRpmEvr(p.evr, c.evr) == 0) {
        c.repos.insert(repo.id);
      }
    }
    SHOKO_ASSIGN_OR_RETURN(std::optional<Stored> updateinfo, Read(repo, locations, "updateinfo"));
    if (updateinfo) {
      SHOKO_ASSIGN_OR_RETURN(std::vector<Advisory> parsed,
                             ParseUpdateinfo(updateinfo->first, updateinfo->second));
      for (Advisory& a : parsed) advisories_.emplace_back(repo.id, std::move(a));
    }
    return Status::OK();
  }

  const platform::Env& env_;
  std::map<std::pair<std::string, std::string>, RpmEvr> newest_;
  std::set<std::string> names_;
  std::vector<std::pair<const DnfRepo*, Locations>> usable_;
  ModuleIndex modules_;
  std::optional<ModuleFilter> filter_;
  std::map<std::pair<std::string, std::string>, Candidate> candidates_;
  std::vector<std::pair<std::string, Advisory>> advisories_;
  std::vector<std::string> warnings_;
};

}  // namespace

Result<std::string> DnfUpgradableJson(const collectors::HelperRoot& where) {
  SHOKO_ASSIGN_OR_RETURN(std::unique_ptr<platform::Env> env, platform::NewRootedEnv(where.path));
  SHOKO_ASSIGN_OR_RETURN(std::string installed_json, RpmPackagesJson(where));
  SHOKO_ASSIGN_OR_RETURN(std::vector<RpmPackage> installed, ParseRpmPackagesJson(installed_json));
  SHOKO_ASSIGN_OR_RETURN(std::vector<DnfRepo> repos, LoadDnfRepos(*env));
  UpgradableScan scan(*env);
  scan.SetInstalled(installed);
  SHOKO_RETURN_IF_ERROR(scan.ReadRepositories(repos));
  return scan.Json();
}

SHOKO_REGISTER_HELPER("dnf-upgradable", DnfUpgradableJson);

}  // namespace shoko::collectors::patch
