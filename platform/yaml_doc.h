// Reading shoko's YAML files (configs, mapping, baseline) with errors that name
// the file and line, e.g. "/etc/shoko/agent.yaml:7: interval: not a duration".
#ifndef SHOKO_PLATFORM_YAML_DOC_H_
#define SHOKO_PLATFORM_YAML_DOC_H_

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace shoko::platform {

// One parsed YAML document and the name its errors carry.
class YamlDoc {
 public:
  // Parses `text`; an empty document is an empty map. Errors are InvalidArgument.
  static Result<YamlDoc> Parse(std::string_view text, std::string source);
  // Reads and parses the file at `path` (a missing file is NotFound).
  static Result<YamlDoc> Load(const std::string& path);

  const YAML::Node& root() const { return root_; }
  const std::string& source() const { return source_; }

  // "source:LINE" for `node` (1-based line).
  std::string Where(const YAML::Node& node) const;
  // An InvalidArgument "source:LINE: message" at `node`.
  Status ErrorAt(const YAML::Node& node, std::string_view message) const;

  // Fails at the first key of map `node` not in `allowed`, or when `node` is
  // not a map; `what` names the map in messages.
  Status CheckMap(const YAML::Node& node, std::string_view what,
                  std::initializer_list<std::string_view> allowed) const;
  // Scalar readers: fail when the value has another type.
  Result<std::string> String(const YAML::Node& node, std::string_view key) const;
  Result<bool> Bool(const YAML::Node& node, std::string_view key) const;
  // A list of strings; errors name the item's own line.
  Result<std::vector<std::string>> StringList(const YAML::Node& node, std::string_view key) const;
  Result<std::chrono::seconds> Duration(const YAML::Node& node, std::string_view key) const;
  Result<uint64_t> ByteSize(const YAML::Node& node, std::string_view key) const;
  Result<uint64_t> Count(const YAML::Node& node, std::string_view key) const;  // ≥ 1

 private:
  YamlDoc(YAML::Node root, std::string source)
      : root_(std::move(root)), source_(std::move(source)) {}
  YAML::Node root_;
  std::string source_;
};

// A duration such as "90", "90s", "15m", "1h", "7d" (no sign, no fractions, at
// least one second, at most 10 years).
Result<std::chrono::seconds> ParseDuration(std::string_view text);

// A size in bytes: "1048576", "512KiB", "64MiB", "1GiB" (at least 1, at most 1 TiB).
Result<uint64_t> ParseByteSize(std::string_view text);

// YAML as JSON: quoted scalars stay strings, plain ones become null, booleans
// (true/false) or numbers where they read as such.
nlohmann::json YamlToJson(const YAML::Node& node);

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_YAML_DOC_H_
