// The baseline: expected values that checks are judged against
// (docs/controls.md, "Baseline"). What each check may hold is the collectors'
// declaration (controls/baseline_schema.h); Parse checks only the shape.
#ifndef SHOKO_CONTROLS_BASELINE_H_
#define SHOKO_CONTROLS_BASELINE_H_

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace shoko::controls {

class Baseline {
 public:
  // Parses baseline YAML; errors name `source` and the line.
  static Result<Baseline> Parse(std::string_view yaml, std::string_view source);
  static Result<Baseline> Load(const std::string& path);
  // The baseline compiled into shoko from controls/data/baseline.yaml.
  static const Baseline& BuiltIn();
  // The file at `path`, or the built-in data when `path` is empty: what an
  // operator's config key (mapping, catalog, baseline) names.
  static Result<std::shared_ptr<const Baseline>> LoadOrBuiltIn(const std::string& path);

  const std::string& id() const { return id_; }
  // The file it was read from ("built-in controls/data/baseline.yaml" for the built-in one).
  const std::string& source() const { return source_; }
  // The line of the YAML node at `path` ("values/CHECK/KEY", "groups/G/values/
  // CHECK/KEY/…", list items by index), 0 when unknown: for errors found after
  // parsing.
  int LineOf(const std::string& path) const;
  const std::string& version() const { return version_; }
  // The expected values for `check_id` as a JSON object (without rationale and
  // source), or null when the baseline has none.
  const nlohmann::json& ExpectedFor(std::string_view check_id) const;

  // The baseline one host is judged by: the values of its host group
  // (`groups: {GROUP: {values: …}}`, key by key over the defaults), and every
  // `{by_distribution: {debian: 4, rhel: 5, default: 5}}` resolved by the
  // host's os-release ID, then its ID_LIKE entries, then `default` (null when
  // none applies). `distribution` holds those ids in that order.
  Baseline ForHost(std::string_view group, const std::vector<std::string>& distribution) const;

 private:
  friend class BaselineSchema;  // validates values_ and groups_
  // Records the line of every key and list item under `node`.
  void RecordLines(const YAML::Node& node, const std::string& path);

  std::string id_;
  std::string version_;
  std::map<std::string, nlohmann::json, std::less<>> values_;
  // group → check_id → values overriding the defaults key by key.
  std::map<std::string, std::map<std::string, nlohmann::json, std::less<>>, std::less<>> groups_;
  std::string source_;
  std::map<std::string, int, std::less<>> lines_;
};

// Replaces every {by_distribution: {...}} inside `value` by the entry for the
// first of `distribution` it names, else its `default`, else null.
void ResolveByDistribution(nlohmann::json& value, const std::vector<std::string>& distribution);

}  // namespace shoko::controls

#endif  // SHOKO_CONTROLS_BASELINE_H_
