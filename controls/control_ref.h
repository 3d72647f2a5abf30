// Control references such as "ismap:8.2" or "nist80053r5:AC-6(2)" (docs/controls.md, "Control refs").
#ifndef SHOKO_CONTROLS_CONTROL_REF_H_
#define SHOKO_CONTROLS_CONTROL_REF_H_

#include <string_view>

namespace shoko::controls {

// framework `[a-z0-9-]+` ":" id `[A-Za-z0-9.()-]+`.
bool IsValidControlRef(std::string_view ref);

// True when `ref` is `query` or lies below it: "ismap:8.2.1" and "ismap:8.2"
// are under "ismap:8.2"; "nist80053r5:AC-6(2)" is under "nist80053r5:AC-6";
// "ismap:8.21" is not under "ismap:8.2". An empty query matches every ref.
bool RefIsUnder(std::string_view ref, std::string_view query);

}  // namespace shoko::controls

#endif  // SHOKO_CONTROLS_CONTROL_REF_H_
