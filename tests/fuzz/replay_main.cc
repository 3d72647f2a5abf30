// Drives a fuzz target without libFuzzer: every file given (directories are
// walked) and, for each, hostile variants: every prefix at a stride
// (truncation), the bytes with random bits flipped; random binary buffers;
// and the largest input repeated to 16 MiB. A crash, sanitizer report or trap fails
// the run; the target itself asserts what must hold of a result.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_target.h"

namespace {

// A memory bomb is a failure too: peak RSS above this after an input stops
// the run, with that input saved for reproduction.
constexpr long kMaxRssKiB = 2L << 20;

void Run(const std::string& input) {
  // SHOKO_FUZZ_LAST=FILE keeps the input being run, for a process the
  // kernel kills (OOM) before it can say which input it was.
  static const char* last = std::getenv("SHOKO_FUZZ_LAST");
  if (last != nullptr) std::ofstream(last, std::ios::binary | std::ios::trunc) << input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0 && usage.ru_maxrss > kMaxRssKiB) {
    const std::string saved =
        std::filesystem::temp_directory_path() / "shoko-fuzz-memory-bomb.input";
    std::ofstream(saved, std::ios::binary) << input;
    std::fprintf(stderr, "peak RSS %ld KiB after an input of %zu bytes, saved as %s\n",
                 usage.ru_maxrss, input.size(), saved.c_str());
    std::abort();
  }
}

void Hostile(const std::string& input, std::mt19937& rng, bool huge_too) {
  Run(input);
  const size_t stride = input.size() / 64 + 1;
  for (size_t n = 0; n < input.size(); n += stride) Run(input.substr(0, n));
  for (int round = 0; round < 32 && !input.empty(); ++round) {
    std::string flipped = input;
    for (int k = 0; k < 8; ++k) {
      flipped[rng() % flipped.size()] ^= static_cast<char>(1u << (rng() % 8));
    }
    Run(flipped);
  }
  if (!huge_too) return;
  std::string huge;
  while (huge.size() < (16u << 20)) huge += input.empty() ? std::string("x\n") : input;
  Run(huge);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        // Links are skipped: some fixtures point outside themselves on purpose.
        if (e.is_regular_file() && !e.is_symlink()) files.push_back(e.path().string());
      }
    } else {
      files.push_back(p.string());
    }
  }
  std::string largest;
  uintmax_t largest_size = 0;
  for (const std::string& f : files) {
    if (std::filesystem::file_size(f) >= largest_size) {
      largest_size = std::filesystem::file_size(f);
      largest = f;
    }
  }
  std::mt19937 rng(20261125);
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    // One input (the largest) is also repeated to 16 MiB: bounded work, not per file.
    Hostile(text.str(), rng, f == largest);
  }
  for (int i = 0; i < 256; ++i) {
    std::string binary(rng() % 4096, '\0');
    for (char& c : binary) c = static_cast<char>(rng());
    Run(binary);
  }
  std::printf("replayed %zu input file(s) with hostile variants, and 256 binary buffers\n",
              files.size());
  return 0;
}
