// The proof fuzz target's input, read from bytes so that every buffer is one:
// a mode byte (low bit: 0 inclusion, 1 consistency), two shift bytes, two
// 8-byte little-endian numbers each shifted right by its shift (so small tree
// sizes and indexes are common), then hashes, each a length byte (below 200:
// 32 bytes follow; otherwise that minus 200, to reach the length checks) and
// its bytes. The first two hashes are the leaf hash (or first root) and the
// root (or second root); the rest is the proof. Missing bytes read as zero.
#ifndef SHOKO_TESTS_FUZZ_PROOF_INPUT_H_
#define SHOKO_TESTS_FUZZ_PROOF_INPUT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shoko::fuzz {

struct ProofInput {
  bool consistency = false;
  uint64_t first = 0;   // the leaf index, or the first tree size
  uint64_t second = 0;  // the tree size, or the second tree size
  std::string hash1;    // the leaf hash, or the first root
  std::string hash2;    // the root, or the second root
  std::vector<std::string> proof;
};

class ProofInputReader {
 public:
  explicit ProofInputReader(std::string_view data) : data_(data) {}

  ProofInput Read() {
    ProofInput in;
    in.consistency = (Byte() & 1) != 0;
    const int shift1 = Byte() & 63, shift2 = Byte() & 63;
    in.first = Number() >> shift1;
    in.second = Number() >> shift2;
    in.hash1 = Hash();
    in.hash2 = Hash();
    while (!data_.empty()) in.proof.push_back(Hash());
    return in;
  }

 private:
  uint8_t Byte() {
    if (data_.empty()) return 0;
    const auto b = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return b;
  }
  uint64_t Number() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{Byte()} << (8 * i);
    return v;
  }
  std::string Hash() {
    const uint8_t length = Byte();
    std::string h(length < 200 ? 32 : length - 200, '\0');
    for (char& c : h) c = static_cast<char>(Byte());
    return h;
  }

  std::string_view data_;
};

// The bytes ProofInputReader reads back as `in` (no shifts; 32-byte hashes).
inline std::string WriteProofInput(const ProofInput& in) {
  std::string out{static_cast<char>(in.consistency ? 1 : 0), '\0', '\0'};
  for (uint64_t v : {in.first, in.second}) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  }
  auto hash = [&out](const std::string& h) { out += std::string(1, '\0') + h; };
  hash(in.hash1);
  hash(in.hash2);
  for (const std::string& h : in.proof) hash(h);
  return out;
}

}  // namespace shoko::fuzz

#endif  // SHOKO_TESTS_FUZZ_PROOF_INPUT_H_
