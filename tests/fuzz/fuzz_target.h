// libFuzzer's entry point, implemented once per fuzz target in this folder.
// Built with clang and -DSHOKO_FUZZ=ON each target is a libFuzzer binary;
// otherwise replay_main.cc drives it over a corpus and hostile variants of it
// (truncated, binary, huge), which is how CI runs it.
#ifndef SHOKO_TESTS_FUZZ_FUZZ_TARGET_H_
#define SHOKO_TESTS_FUZZ_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

inline std::string_view FuzzText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

#endif  // SHOKO_TESTS_FUZZ_FUZZ_TARGET_H_
