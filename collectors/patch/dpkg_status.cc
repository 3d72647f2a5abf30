#include "collectors/patch/dpkg_status.h"

#include "collectors/patch/deb822.h"

namespace shoko::collectors::patch {

Result<std::vector<InstalledPackage>> ParseDpkgStatus(std::string_view text,
                                                      std::string_view file) {
  auto stanzas = ParseDeb822(text, file);
  if (!stanzas.ok()) return stanzas.status();
  std::vector<InstalledPackage> packages;
  for (const Deb822Stanza& s : *stanzas) {
    auto error = [&](const std::string& why) {
      return Status::Corruption(std::string(file) + ":" + std::to_string(s.line) + ": " + why);
    };
    std::string_view name = s.Get("Package");
    if (name.empty()) return error("stanza has no Package field");
    std::string_view status = s.Get("Status");
    // "want flag state", e.g. "install ok installed".
    size_t last_space = status.rfind(' ');
    if (status.empty() || last_space == std::string_view::npos) {
      return error("package " + std::string(name) + " has no valid Status field");
    }
    std::string_view state = status.substr(last_space + 1);
    if (state == "not-installed" || state == "config-files") continue;
    InstalledPackage p;
    p.name = std::string(name);
    p.version = std::string(s.Get("Version"));
    if (p.version.empty())
      return error("package " + p.name + " (" + std::string(state) + ") has no Version");
    p.arch = std::string(s.Get("Architecture"));
    p.state = std::string(state);
    p.line = s.line;
    // "Source: name" or "Source: name (version)".
    std::string_view source = s.Get("Source");
    if (source.empty()) {
      p.source = p.name;
    } else {
      size_t paren = source.find(" (");
      p.source = std::string(source.substr(0, paren));
      if (paren != std::string_view::npos && source.back() == ')') {
        p.source_version = std::string(source.substr(paren + 2, source.size() - paren - 3));
      }
    }
    packages.push_back(std::move(p));
  }
  return packages;
}

}  // namespace shoko::collectors::patch
