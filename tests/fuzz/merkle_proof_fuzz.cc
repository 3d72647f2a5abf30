// RFC 9162 proof verification with arbitrary sizes, indexes and hash lists
// (tests/fuzz/proof_input.h): every answer is OK, Corruption or
// InvalidArgument, never a crash or a hang; and for small trees a proof the
// log makes verifies while the same proof with one bit changed does not.
#include <map>

#include "evidence/merkle.h"
#include "tests/fuzz/fuzz_target.h"
#include "tests/fuzz/proof_input.h"

namespace {

using shoko::Status;
namespace merkle = shoko::evidence::merkle;

void ExpectKnownKind(const Status& s) {
  if (!s.ok() && s.code() != Status::Code::kCorruption &&
      s.code() != Status::Code::kInvalidArgument) {
    __builtin_trap();
  }
}

// A tree of `size` leaves derived from `seed`, with its stored nodes.
class SmallTree {
 public:
  SmallTree(uint64_t size, const std::string& seed) {
    for (uint64_t i = 0; i < size; ++i) {
      for (auto& node : range_.Append(merkle::LeafHash(seed + std::to_string(i)))) {
        nodes_[{node.level, node.index}] = std::move(node.hash);
      }
    }
  }
  merkle::NodeReader Reader() const {
    return [this](int level, uint64_t index) -> shoko::Result<std::string> {
      auto it = nodes_.find({level, index});
      if (it == nodes_.end()) return Status::NotFound("no node");
      return it->second;
    };
  }
  std::string Root(uint64_t size) const { return *merkle::RootHash(size, Reader()); }
  std::string Leaf(uint64_t index) const { return nodes_.at({0, index}); }

 private:
  merkle::CompactRange range_;
  std::map<std::pair<int, uint64_t>, std::string> nodes_;
};

// What the log makes must verify, and a one-bit change must not.
void RoundTrip(const shoko::fuzz::ProofInput& in) {
  constexpr uint64_t kMaxTree = 140;  // past 128: complete and ragged trees
  const uint64_t size = in.second % kMaxTree + 1;
  const SmallTree tree(size, in.hash1);
  const std::string root = tree.Root(size);
  if (!in.consistency) {
    const uint64_t index = in.first % size;
    auto proof = merkle::InclusionProof(index, size, tree.Reader());
    if (!proof.ok() || !merkle::VerifyInclusion(index, size, tree.Leaf(index), *proof, root).ok()) {
      __builtin_trap();
    }
    if (proof->empty()) return;
    (*proof)[in.first % proof->size()][0] ^= 1;
    if (merkle::VerifyInclusion(index, size, tree.Leaf(index), *proof, root).ok()) __builtin_trap();
    return;
  }
  const uint64_t size1 = in.first % size + 1;
  auto proof = merkle::ConsistencyProof(size1, size, tree.Reader());
  if (!proof.ok() || !merkle::VerifyConsistency(size1, size, tree.Root(size1), root, *proof).ok()) {
    __builtin_trap();
  }
  if (proof->empty()) return;
  (*proof)[in.first % proof->size()][0] ^= 1;
  if (merkle::VerifyConsistency(size1, size, tree.Root(size1), root, *proof).ok()) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const shoko::fuzz::ProofInput in = shoko::fuzz::ProofInputReader(FuzzText(data, size)).Read();
  if (in.consistency) {
    ExpectKnownKind(merkle::VerifyConsistency(in.first, in.second, in.hash1, in.hash2, in.proof));
  } else {
    ExpectKnownKind(merkle::VerifyInclusion(in.first, in.second, in.hash1, in.proof, in.hash2));
  }
  RoundTrip(in);
  return 0;
}
