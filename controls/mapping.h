// The check → control mapping (docs/controls.md, "Mapping"), loaded from YAML.
#ifndef SHOKO_CONTROLS_MAPPING_H_
#define SHOKO_CONTROLS_MAPPING_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace shoko::controls {

class Mapping {
 public:
  // Parses mapping YAML; errors name `source` and the line, e.g.
  // "mapping.yaml:12: 'ismap 8.2' is not a control ref".
  static Result<Mapping> Parse(std::string_view yaml, std::string_view source);
  static Result<Mapping> Load(const std::string& path);
  // The mapping compiled into shoko from controls/data/mapping.yaml.
  static const Mapping& BuiltIn();
  // The file at `path`, or the built-in data when `path` is empty: what an
  // operator's config key (mapping, catalog, baseline) names.
  static Result<std::shared_ptr<const Mapping>> LoadOrBuiltIn(const std::string& path);

  const std::string& version() const { return version_; }
  // The refs of `check_id`, empty when the check is unmapped.
  const std::vector<std::string>& RefsFor(std::string_view check_id) const;
  const std::map<std::string, std::vector<std::string>, std::less<>>& checks() const {
    return checks_;
  }
  // Where the mapping came from, and the line of each ref of `check_id` (in
  // the order of RefsFor), for errors found after parsing.
  const std::string& source() const { return source_; }
  const std::vector<int>& LinesFor(std::string_view check_id) const;
  // The line of `check_id`'s key, 0 when unmapped.
  int CheckLine(std::string_view check_id) const;

 private:
  std::string version_;
  std::string source_;
  std::map<std::string, std::vector<std::string>, std::less<>> checks_;
  std::map<std::string, std::vector<int>, std::less<>> lines_;
  std::map<std::string, int, std::less<>> check_lines_;
};

}  // namespace shoko::controls

#endif  // SHOKO_CONTROLS_MAPPING_H_
