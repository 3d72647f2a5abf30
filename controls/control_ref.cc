#include "controls/control_ref.h"

namespace shoko::controls {

bool IsValidControlRef(std::string_view ref) {
  size_t colon = ref.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == ref.size()) return false;
  for (char c : ref.substr(0, colon)) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  for (char c : ref.substr(colon + 1)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '(' || c == ')' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool RefIsUnder(std::string_view ref, std::string_view query) {
  if (query.empty()) return true;
  if (ref.size() < query.size() || ref.substr(0, query.size()) != query) return false;
  if (ref.size() == query.size()) return true;
  char next = ref[query.size()];
  return next == '.' || next == '(';
}

}  // namespace shoko::controls
