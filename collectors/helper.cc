#include "collectors/helper.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <map>

namespace shoko::collectors {
namespace {

std::map<std::string, Helper, std::less<>>& Helpers() {
  static auto* helpers = new std::map<std::string, Helper, std::less<>>();
  return *helpers;
}

}  // namespace

bool RegisterHelper(std::string name, HelperFunction fn) {
  Helpers()[std::move(name)] = Helper{fn};
  return true;
}

Status ResolvesInside(const std::string& root, const std::string& path) {
  char* real_root = ::realpath(root.c_str(), nullptr);
  if (real_root == nullptr) return Status::FromErrno("root " + root, errno);
  const std::string base = real_root;
  ::free(real_root);
  if (base == "/") return Status::OK();
  auto inside = [&](const std::string& p) { return p == base || p.rfind(base + "/", 0) == 0; };
  auto outside = [&](const std::string& where, const std::string& to) {
    return Status::InvalidArgument(where + " leads to " + to + ", outside the root " + root +
                                   "; not read");
  };
  std::string clean = path;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  if (char* real = ::realpath(clean.c_str(), nullptr); real != nullptr) {
    std::string resolved = real;
    ::free(real);
    return inside(resolved) ? Status::OK() : outside(clean, resolved);
  }
  // Missing, or dangling somewhere: no link on the way may point out either,
  // since the kernel would follow it out once the target appears.
  size_t end = clean.find('/', root.size() + 1);
  for (;;) {
    const std::string prefix = clean.substr(0, end);  // the whole path last
    char target[4096];
    ssize_t n = ::readlink(prefix.c_str(), target, sizeof target - 1);
    if (n > 0) {
      std::string to(target, static_cast<size_t>(n));
      if (to[0] == '/') return outside(prefix, to);
      if (char* real = ::realpath(prefix.c_str(), nullptr); real != nullptr) {
        std::string resolved = real;
        ::free(real);
        if (!inside(resolved)) return outside(prefix, resolved);
      }
    }
    if (end == std::string::npos) break;
    end = clean.find('/', end + 1);
  }
  return Status::OK();
}

const Helper* FindHelper(std::string_view name) {
  auto it = Helpers().find(name);
  return it == Helpers().end() ? nullptr : &it->second;
}

Result<std::string> InProcessHelperRunner::Run(const std::string& helper,
                                               const std::string& root) const {
  const Helper* h = FindHelper(helper);
  if (h == nullptr) return Status::NotFound("no helper named '" + helper + "'");
  return h->run(HelperRoot{root, root != "/"});
}

Result<std::string> RunHelper(const HelperRunner* runner, const std::string& helper,
                              const std::string& root) {
  if (runner != nullptr) return runner->Run(helper, root);
  return InProcessHelperRunner().Run(helper, root);
}

}  // namespace shoko::collectors
