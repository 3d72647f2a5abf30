// RFC 9162 (RFC 6962) Merkle trees over SHA-256: the hashes, the proofs and
// their verification, and the compact range a log appends with
// (docs/ledger.md, "The Merkle log"). Hashes are 32 raw bytes in std::string.
#ifndef SHOKO_EVIDENCE_MERKLE_H_
#define SHOKO_EVIDENCE_MERKLE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace shoko::evidence::merkle {

// SHA-256(0x00 ‖ leaf_input).
std::string LeafHash(std::string_view leaf_input);
// SHA-256(0x01 ‖ left ‖ right).
std::string NodeHash(std::string_view left, std::string_view right);
// The root of the empty tree: SHA-256 of nothing.
std::string EmptyRoot();

// The hash of the complete subtree of 2^level leaves starting at leaf
// index << level (level 0: a leaf hash). The log stores these; proofs and
// roots are computed from them. NotFound (or any error) is passed on.
using NodeReader = std::function<Result<std::string>(int level, uint64_t index)>;

// The root of the tree of `size` leaves (EmptyRoot for 0).
Result<std::string> RootHash(uint64_t size, const NodeReader& nodes);
// RFC 9162 §2.1.3.1: the inclusion proof of leaf `index` in the tree of
// `size` leaves. InvalidArgument when index >= size.
Result<std::vector<std::string>> InclusionProof(uint64_t index, uint64_t size,
                                                const NodeReader& nodes);
// RFC 9162 §2.1.4.1: the consistency proof between trees of `size1` and
// `size2` leaves (empty when size1 is 0 or equals size2). InvalidArgument
// when size1 > size2.
Result<std::vector<std::string>> ConsistencyProof(uint64_t size1, uint64_t size2,
                                                  const NodeReader& nodes);

// RFC 9162 §2.1.3.2. Corruption saying what does not hold (a proof of the
// wrong length, a root that does not match) or InvalidArgument for an index
// outside the tree or a hash that is not 32 bytes.
Status VerifyInclusion(uint64_t index, uint64_t size, std::string_view leaf_hash,
                       const std::vector<std::string>& proof, std::string_view root);
// RFC 9162 §2.1.4.2, with the same kinds of failure. Equal sizes need an
// empty proof and equal roots. size1 = 0 is InvalidArgument: the RFC proves
// consistency only from a non-empty tree (every tree extends the empty one; a
// caller holding an empty checkpoint needs no proof).
Status VerifyConsistency(uint64_t size1, uint64_t size2, std::string_view root1,
                         std::string_view root2, const std::vector<std::string>& proof);

// The right edge of a tree: the roots of its maximal complete subtrees, left
// to right. Appending a leaf costs O(log n) and yields the subtree hashes it
// completes, which is what a log stores; the root follows from the edge alone.
class CompactRange {
 public:
  // A subtree completed by an append: its level, index and hash.
  struct Node {
    int level = 0;
    uint64_t index = 0;
    std::string hash;
  };

  CompactRange() = default;
  // The edge of the tree of `size` leaves, read from its stored nodes.
  static Result<CompactRange> FromNodes(uint64_t size, const NodeReader& nodes);

  // Appends one leaf hash; returns every node it completes, the leaf itself
  // first (level 0), then each parent up to the largest.
  std::vector<Node> Append(std::string leaf_hash);
  uint64_t size() const { return size_; }
  // The root of the tree so far (EmptyRoot when empty).
  std::string Root() const;

 private:
  uint64_t size_ = 0;
  std::vector<std::string> edge_;  // the largest subtree first
};

}  // namespace shoko::evidence::merkle

#endif  // SHOKO_EVIDENCE_MERKLE_H_
