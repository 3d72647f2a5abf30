// The control catalog (docs/controls.md, "Catalog"): frameworks with their objectives and
// detailed controls, loaded from YAML and validated, so that mappings,
// reports and exports can name every control in the version an auditor uses.
#ifndef SHOKO_CONTROLS_CATALOG_H_
#define SHOKO_CONTROLS_CATALOG_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "controls/mapping.h"
#include "platform/status.h"

namespace shoko::controls {

struct CatalogControl {
  std::string framework;  // "ismap"
  std::string id;         // "5.6.1"
  std::string kind;       // objective, detailed, control, enhancement
  std::string parent;     // the parent's id in the same framework, or ""
  std::string title_en;
  std::string title_ja;
  std::string theme;         // organizational, people, physical, technological
  std::string status;        // the control's own, when it differs from the framework's
  bool provisional = false;  // not (yet) from an official text
  std::string importance;    // as the scheme's index will publish it, when known
  std::vector<std::string> threats;
  std::vector<std::string> replaces_2013;  // ISO/IEC 27002:2013 sources (iso27002 only)
  std::string reference_ja;                // (参考)定型管理策, from an imported table
  std::string guidance_ja;                 // (参考)手引き, from an imported table
  int line = 0;                            // in the catalog file

  std::string Ref() const { return framework + ":" + id; }
};

struct CatalogFramework {
  std::string name;  // "ismap"
  std::string title;
  std::string status;  // "draft-2025-09"
  std::string source;
  bool provisional = false;
  std::vector<CatalogControl> controls;  // in file order
};

class Catalog {
 public:
  // Parses catalog YAML. Errors name `source` and the line: unknown keys, a
  // kind outside the framework's vocabulary, a duplicate id, a parent that
  // is not in the framework, an id the ref grammar refuses.
  static Result<Catalog> Parse(std::string_view yaml, std::string_view source);
  static Result<Catalog> Load(const std::string& path);
  // The catalog compiled in from controls/data/catalog.yaml.
  static const Catalog& BuiltIn();
  // The file at `path`, or the built-in data when `path` is empty: what an
  // operator's config key (mapping, catalog, baseline) names.
  static Result<std::shared_ptr<const Catalog>> LoadOrBuiltIn(const std::string& path);

  const std::string& version() const { return version_; }
  const std::vector<CatalogFramework>& frameworks() const { return frameworks_; }
  // The control a ref names ("ismap:8.8"), or null.
  const CatalogControl* Find(std::string_view ref) const;
  const CatalogFramework* Framework(std::string_view name) const;
  // The controls whose parent is `ref`, in file order.
  std::vector<const CatalogControl*> Children(std::string_view ref) const;
  // Problems with `mapping` against this catalog, each "FILE:LINE: what": a
  // ref to a framework or control the catalog does not have.
  std::vector<std::string> Check(const Mapping& mapping) const;

 private:
  std::string version_;
  std::vector<CatalogFramework> frameworks_;
  std::map<std::string, std::pair<size_t, size_t>, std::less<>> index_;  // ref → (fw, control)
};

// The controls of `framework` with this importance and threat (empty: any),
// in catalog order.
std::vector<const CatalogControl*> SelectControls(const CatalogFramework& framework,
                                                  std::string_view importance,
                                                  std::string_view threat);
// The order reports sort importance levels in: "high" 0, "medium" 1, "low" 2,
// then any other (or none) 3.
int ImportanceRank(std::string_view importance);

// Control ref → the checks mapped to it.
std::map<std::string, std::vector<std::string>> ChecksByControl(const Mapping& mapping);

// How host checks evidence a control: a check maps to it (automated), only to
// its objective or to one of its detailed controls (partial), or not at all.
enum class Coverage { kAutomated, kPartial, kNone };
Coverage CoverageOf(const Catalog& catalog,
                    const std::map<std::string, std::vector<std::string>>& checks_by_control,
                    const CatalogControl& control);
const char* CoverageName(Coverage coverage);

// An id OSCAL accepts (it must start with a letter and use only letters,
// digits, '.', '_' and '-'): "ismap:5.6.1" → "ismap-5.6.1",
// "nist80053r5:AC-2(3)" → "nist80053r5-ac-2.3", as NIST's own OSCAL does.
std::string OscalId(std::string_view ref);

}  // namespace shoko::controls

#endif  // SHOKO_CONTROLS_CATALOG_H_
