#include "collectors/helper.h"

#include <map>

namespace shoko::collectors {
namespace {

std::map<std::string, HelperFunction, std::less<>>& Helpers() {
  static auto* helpers = new std::map<std::string, HelperFunction, std::less<>>();
  return *helpers;
}

}  // namespace

bool RegisterHelper(std::string name, HelperFunction fn) {
  Helpers()[std::move(name)] = fn;
  return true;
}

HelperFunction FindHelper(std::string_view name) {
  auto it = Helpers().find(name);
  return it == Helpers().end() ? nullptr : it->second;
}

Result<std::string> InProcessHelperRunner::Run(const std::string& helper,
                                               const std::string& root) const {
  HelperFunction fn = FindHelper(helper);
  if (fn == nullptr) return Status::NotFound("no helper named '" + helper + "'");
  return fn(root);
}

Result<std::string> RunHelper(const HelperRunner* runner, const std::string& helper,
                              const std::string& root) {
  if (runner != nullptr) return runner->Run(helper, root);
  return InProcessHelperRunner().Run(helper, root);
}

}  // namespace shoko::collectors
