// The data files under controls/data/, compiled in so that a bare binary works;
// operators override them with files named in their config.
#ifndef SHOKO_CONTROLS_BUILTIN_DATA_H_
#define SHOKO_CONTROLS_BUILTIN_DATA_H_

#include <string_view>

namespace shoko::controls {

extern const std::string_view kBuiltinMappingYaml;
extern const std::string_view kBuiltinBaselineYaml;
extern const std::string_view kBuiltinCatalogYaml;

}  // namespace shoko::controls

#endif  // SHOKO_CONTROLS_BUILTIN_DATA_H_
