#include "platform/yaml_doc.h"

#include <charconv>
#include <utility>

#include "platform/local_files.h"

namespace shoko::platform {

Result<YamlDoc> YamlDoc::Parse(std::string_view text, std::string source) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    return YamlDoc(std::move(root), std::move(source));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

Result<YamlDoc> YamlDoc::Load(const std::string& path) {
  auto text = platform::ReadLocalFile(path, 4 << 20);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

std::string YamlDoc::Where(const YAML::Node& node) const {
  int line = node.Mark().line;
  return line >= 0 ? source_ + ":" + std::to_string(line + 1) : source_;
}

Status YamlDoc::ErrorAt(const YAML::Node& node, std::string_view message) const {
  return Status::InvalidArgument(Where(node) + ": " + std::string(message));
}

Status YamlDoc::CheckMap(const YAML::Node& node, std::string_view what,
                         std::initializer_list<std::string_view> allowed) const {
  if (!node.IsMap()) return ErrorAt(node, std::string(what) + ": expected a mapping");
  for (const auto& kv : node) {
    if (!kv.first.IsScalar())
      return ErrorAt(kv.first, std::string(what) + ": keys must be scalars");
    const std::string key = kv.first.Scalar();
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return ErrorAt(
          kv.first, "unknown key '" + key + "' in " + std::string(what) + " (known: " + list + ")");
    }
  }
  return Status::OK();
}

Result<std::string> YamlDoc::String(const YAML::Node& node, std::string_view key) const {
  if (!node.IsScalar()) return ErrorAt(node, std::string(key) + ": expected a string");
  return node.Scalar();
}

Result<std::vector<std::string>> YamlDoc::StringList(const YAML::Node& node,
                                                     std::string_view key) const {
  if (!node.IsSequence()) return ErrorAt(node, std::string(key) + ": expected a list");
  std::vector<std::string> out;
  for (const YAML::Node& item : node) {
    auto s = String(item, key);
    if (!s.ok()) return s.status();
    out.push_back(*s);
  }
  return out;
}

Result<bool> YamlDoc::Bool(const YAML::Node& node, std::string_view key) const {
  if (node.IsScalar() && node.Tag() != "!") {
    const std::string& s = node.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return ErrorAt(node, std::string(key) + ": expected true or false");
}

Result<std::chrono::seconds> YamlDoc::Duration(const YAML::Node& node, std::string_view key) const {
  if (!node.IsScalar()) return ErrorAt(node, std::string(key) + ": expected a duration such as 1h");
  auto d = ParseDuration(node.Scalar());
  if (!d.ok()) return ErrorAt(node, std::string(key) + ": " + d.status().message());
  return d;
}

Result<uint64_t> YamlDoc::ByteSize(const YAML::Node& node, std::string_view key) const {
  if (!node.IsScalar()) return ErrorAt(node, std::string(key) + ": expected a size such as 64MiB");
  auto n = ParseByteSize(node.Scalar());
  if (!n.ok()) return ErrorAt(node, std::string(key) + ": " + n.status().message());
  return n;
}

Result<uint64_t> YamlDoc::Count(const YAML::Node& node, std::string_view key) const {
  uint64_t n = 0;
  const std::string s = node.IsScalar() ? node.Scalar() : "";
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || n == 0) {
    return ErrorAt(node, std::string(key) + ": expected a whole number of at least 1");
  }
  return n;
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  const std::string bad =
      "'" + std::string(text) + "' is not a size (examples: 1048576, 512KiB, 64MiB, 1GiB)";
  uint64_t unit = 1;
  std::string_view digits = text;
  for (auto [suffix, factor] :
       {std::pair{"KiB", uint64_t{1} << 10}, std::pair{"MiB", uint64_t{1} << 20},
        std::pair{"GiB", uint64_t{1} << 30}, std::pair{"TiB", uint64_t{1} << 40}}) {
    std::string_view s = suffix;
    if (digits.size() > s.size() && digits.substr(digits.size() - s.size()) == s) {
      unit = factor;
      digits.remove_suffix(s.size());
      break;
    }
  }
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || n == 0) {
    return Status::InvalidArgument(bad);
  }
  if (n > (uint64_t{1} << 40) / unit)
    return Status::InvalidArgument("'" + std::string(text) + "' is more than 1 TiB");
  return n * unit;
}

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  const std::string bad =
      "'" + std::string(text) + "' is not a duration (examples: 90s, 15m, 1h, 7d)";
  if (text.empty()) return Status::InvalidArgument(bad);
  int64_t unit = 1;
  std::string_view digits = text;
  constexpr std::pair<char, int64_t> kUnits[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
  for (const auto& [suffix, seconds] : kUnits) {
    if (text.back() == suffix) {
      unit = seconds;
      digits.remove_suffix(1);
      break;
    }
  }
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || n <= 0) {
    return Status::InvalidArgument(bad);
  }
  constexpr int64_t kMax = int64_t{10} * 366 * 86400;
  if (n > kMax / unit)
    return Status::InvalidArgument("'" + std::string(text) + "' is longer than 10 years");
  return std::chrono::seconds(n * unit);
}

nlohmann::json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json obj = nlohmann::json::object();
      for (const auto& kv : node) obj[kv.first.Scalar()] = YamlToJson(kv.second);
      return obj;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& item : node) arr.push_back(YamlToJson(item));
      return arr;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted: always a string
      if (s == "true") return true;
      if (s == "false") return false;
      if (s == "~" || s == "null") return nullptr;
      int64_t i = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
      if (!s.empty() && ec == std::errc() && p == s.data() + s.size()) return i;
      double d = 0;
      auto [pd, ecd] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (!s.empty() && ecd == std::errc() && pd == s.data() + s.size()) return d;
      return s;
    }
    default:
      return nullptr;
  }
}

}  // namespace shoko::platform
