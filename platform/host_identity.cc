#include "platform/host_identity.h"

#include <algorithm>

#include "platform/strings.h"

namespace shoko::platform {
namespace {

std::string FirstLine(const Env& env, std::string_view path) {
  auto text = env.ReadFile(path, 4096);
  if (!text.ok()) return "";
  std::string line = text->substr(0, text->find('\n'));
  return std::string(platform::Trim(line));
}

}  // namespace

std::string OsReleaseValue(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == '=') {
      std::string value = std::string(platform::Trim(std::string(line.substr(key.size() + 1))));
      if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
          value.back() == value.front()) {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return "";
}

HostIdentity ReadHostIdentity(const Env& env) {
  HostIdentity id;
  id.hostname = FirstLine(env, "/proc/sys/kernel/hostname");
  if (id.hostname.empty()) id.hostname = FirstLine(env, "/etc/hostname");
  id.machine_id = FirstLine(env, "/etc/machine-id");
  id.kernel = FirstLine(env, "/proc/sys/kernel/osrelease");
  auto os = env.ReadFile("/etc/os-release", 65536);
  if (!os.ok()) os = env.ReadFile("/usr/lib/os-release", 65536);
  if (os.ok()) {
    id.os_id = OsReleaseValue(*os, "ID");
    const std::string like = OsReleaseValue(*os, "ID_LIKE");
    for (size_t at = 0; at < like.size();) {
      const size_t space = std::min(like.find(' ', at), like.size());
      if (space > at) id.os_like.push_back(like.substr(at, space - at));
      at = space + 1;
    }
    id.os_version = OsReleaseValue(*os, "VERSION_ID");
  }
  return id;
}

std::vector<std::string> DistributionIds(const HostIdentity& host) {
  std::vector<std::string> ids;
  if (!host.os_id.empty()) ids.push_back(host.os_id);
  ids.insert(ids.end(), host.os_like.begin(), host.os_like.end());
  return ids;
}

}  // namespace shoko::platform
