#include "evidence/merkle.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <bit>

#include "platform/digest.h"

namespace shoko::evidence::merkle {
namespace {

constexpr size_t kHashBytes = 32;

// A hash being computed in place, step after step of a proof.
using HashBuffer = std::array<char, kHashBytes>;

std::string_view View(const HashBuffer& hash) { return {hash.data(), hash.size()}; }

// SHA-256(prefix ‖ a ‖ b) into `out` (which may overlap a or b: they are read
// first), without copying the parts together: proofs and appends hash
// millions of 65-byte nodes. One context per thread, reused.
void HashInto(char prefix, std::string_view a, std::string_view b, HashBuffer& out) {
  struct Context {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() {
      EVP_MD_CTX_free(ctx);
      EVP_MD_free(md);
    }
  };
  thread_local Context context;
  unsigned int len = 0;
  if (context.md == nullptr || context.ctx == nullptr ||
      EVP_DigestInit_ex2(context.ctx, context.md, nullptr) != 1 ||
      EVP_DigestUpdate(context.ctx, &prefix, 1) != 1 ||
      EVP_DigestUpdate(context.ctx, a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(context.ctx, b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(context.ctx, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
      len != kHashBytes) {
    // Out of memory, say: the one-shot digest copes or aborts as it does elsewhere.
    const std::string hash =
        platform::Sha256(std::string(1, prefix) + std::string(a) + std::string(b));
    std::copy(hash.begin(), hash.end(), out.begin());
  }
}

std::string HashParts(char prefix, std::string_view a, std::string_view b) {
  HashBuffer out;
  HashInto(prefix, a, b, out);
  return std::string(View(out));
}

// The largest power of two below n (n ≥ 2): where RFC 9162 splits a tree.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// The hash of leaves [begin, end), a subtree of RFC 9162's tree: `begin` is a
// multiple of a power of two at least end - begin, so the range is a run of
// complete stored subtrees, largest first, folded from the right.
Result<std::string> SubtreeHash(uint64_t begin, uint64_t end, const NodeReader& nodes) {
  if (std::has_single_bit(end - begin) && begin % (end - begin) == 0) {
    return nodes(std::countr_zero(end - begin), begin / (end - begin));  // one stored node
  }
  std::vector<std::string> parts;
  for (uint64_t pos = begin; pos < end;) {
    int level = pos == 0 ? 63 : std::countr_zero(pos);
    while ((uint64_t{1} << level) > end - pos) --level;
    auto hash = nodes(level, pos >> level);
    if (!hash.ok()) return hash.status();
    parts.push_back(std::move(hash).value());
    pos += uint64_t{1} << level;
  }
  std::string acc = std::move(parts.back());
  for (size_t i = parts.size() - 1; i-- > 0;) acc = NodeHash(parts[i], acc);
  return acc;
}

// RFC 9162 §2.1.3.1's PATH(index, D[begin:end]), deepest sibling first.
Status AppendPath(uint64_t index, uint64_t begin, uint64_t end, const NodeReader& nodes,
                  std::vector<std::string>& proof) {
  if (end - begin <= 1) return Status::OK();
  const uint64_t mid = begin + SplitPoint(end - begin);
  const bool left = index < mid;
  SHOKO_RETURN_IF_ERROR(left ? AppendPath(index, begin, mid, nodes, proof)
                             : AppendPath(index, mid, end, nodes, proof));
  auto sibling = left ? SubtreeHash(mid, end, nodes) : SubtreeHash(begin, mid, nodes);
  if (!sibling.ok()) return sibling.status();
  proof.push_back(std::move(sibling).value());
  return Status::OK();
}

// RFC 9162 §2.1.4.1's SUBPROOF(size1 - begin, D[begin:end], whole).
Status AppendSubproof(uint64_t size1, uint64_t begin, uint64_t end, bool whole,
                      const NodeReader& nodes, std::vector<std::string>& proof) {
  if (size1 == end) {
    if (whole) return Status::OK();
    auto hash = SubtreeHash(begin, end, nodes);
    if (!hash.ok()) return hash.status();
    proof.push_back(std::move(hash).value());
    return Status::OK();
  }
  const uint64_t mid = begin + SplitPoint(end - begin);
  const bool left = size1 <= mid;
  SHOKO_RETURN_IF_ERROR(left ? AppendSubproof(size1, begin, mid, whole, nodes, proof)
                             : AppendSubproof(size1, mid, end, false, nodes, proof));
  auto sibling = left ? SubtreeHash(mid, end, nodes) : SubtreeHash(begin, mid, nodes);
  if (!sibling.ok()) return sibling.status();
  proof.push_back(std::move(sibling).value());
  return Status::OK();
}

// How many hashes the inclusion proof of node `index` (at any level) has in a
// tree whose last node at that level is `last`: the levels below the point
// where the paths to index and to last part, plus the left siblings above it.
size_t PathLength(uint64_t index, uint64_t last) {
  const int inner = std::bit_width(index ^ last);
  return static_cast<size_t>(inner + std::popcount(inner >= 64 ? 0 : index >> inner));
}

// The length of the consistency proof between sizes 0 < size1 < size2: the
// path from the largest complete subtree ending at size1 (which is itself
// the first hash unless size1 is a power of two).
size_t ConsistencyLength(uint64_t size1, uint64_t size2) {
  const int level = std::countr_zero(size1);
  const uint64_t index = (size1 - 1) >> level;
  return PathLength(index, (size2 - 1) >> level) + (index == 0 ? 0 : 1);
}

Status NotAHash(std::string_view what, std::string_view hash) {
  return Status::InvalidArgument(std::string(what) + " is " + std::to_string(hash.size()) +
                                 " bytes, not a 32-byte SHA-256 hash");
}

Status CheckHash(std::string_view what, std::string_view hash) {
  return hash.size() == kHashBytes ? Status::OK() : NotAHash(what, hash);
}

Status CheckProofHashes(const std::vector<std::string>& proof) {
  for (size_t i = 0; i < proof.size(); ++i) {
    if (proof[i].size() != kHashBytes) return NotAHash("proof hash " + std::to_string(i), proof[i]);
  }
  return Status::OK();
}

std::string Sizes(uint64_t size1, uint64_t size2) {
  return std::to_string(size1) + " → " + std::to_string(size2);
}

Status WrongLength(std::string_view what, size_t have, size_t want) {
  return Status::Corruption(std::string(what) + " has " + std::to_string(have) +
                            " hash(es) where " + std::to_string(want) + " are needed");
}

}  // namespace

std::string LeafHash(std::string_view leaf_input) { return HashParts('\0', leaf_input, {}); }

std::string NodeHash(std::string_view left, std::string_view right) {
  return HashParts('\x01', left, right);
}

std::string EmptyRoot() { return platform::Sha256(""); }

Result<std::string> RootHash(uint64_t size, const NodeReader& nodes) {
  if (size == 0) return EmptyRoot();
  return SubtreeHash(0, size, nodes);
}

Result<std::vector<std::string>> InclusionProof(uint64_t index, uint64_t size,
                                                const NodeReader& nodes) {
  if (index >= size) {
    return Status::InvalidArgument("leaf index " + std::to_string(index) +
                                   " is outside a tree of " + std::to_string(size) + " leaves");
  }
  std::vector<std::string> proof;
  SHOKO_RETURN_IF_ERROR(AppendPath(index, 0, size, nodes, proof));
  return proof;
}

Result<std::vector<std::string>> ConsistencyProof(uint64_t size1, uint64_t size2,
                                                  const NodeReader& nodes) {
  if (size1 > size2) {
    return Status::InvalidArgument("no consistency proof from " + std::to_string(size1) +
                                   " leaves to fewer (" + std::to_string(size2) + ")");
  }
  std::vector<std::string> proof;
  if (size1 == 0 || size1 == size2) return proof;
  SHOKO_RETURN_IF_ERROR(AppendSubproof(size1, 0, size2, true, nodes, proof));
  return proof;
}

Status VerifyInclusion(uint64_t index, uint64_t size, std::string_view leaf_hash,
                       const std::vector<std::string>& proof, std::string_view root) {
  if (index >= size) {
    return Status::InvalidArgument("leaf index " + std::to_string(index) +
                                   " is outside a tree of " + std::to_string(size) + " leaves");
  }
  SHOKO_RETURN_IF_ERROR(CheckHash("leaf hash", leaf_hash));
  SHOKO_RETURN_IF_ERROR(CheckHash("root hash", root));
  SHOKO_RETURN_IF_ERROR(CheckProofHashes(proof));
  const size_t want = PathLength(index, size - 1);
  const auto wrong_length = [&] {
    return WrongLength("inclusion proof of leaf " + std::to_string(index) + " in a tree of " +
                           std::to_string(size),
                       proof.size(), want);
  };
  if (proof.size() != want) return wrong_length();
  // RFC 9162 §2.1.3.2, step by step.
  uint64_t fn = index, sn = size - 1;
  HashBuffer r;
  std::copy(leaf_hash.begin(), leaf_hash.end(), r.begin());
  for (const std::string& p : proof) {
    if (sn == 0) return wrong_length();
    if ((fn & 1) || fn == sn) {
      HashInto('\x01', p, View(r), r);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      HashInto('\x01', View(r), p, r);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return wrong_length();
  if (View(r) != root) {
    return Status::Corruption("inclusion proof of leaf " + std::to_string(index) +
                              " does not lead to the root of the tree of " + std::to_string(size));
  }
  return Status::OK();
}

Status VerifyConsistency(uint64_t size1, uint64_t size2, std::string_view root1,
                         std::string_view root2, const std::vector<std::string>& proof) {
  if (size1 > size2) {
    return Status::InvalidArgument("tree size " + std::to_string(size1) + " cannot grow into " +
                                   std::to_string(size2));
  }
  if (size1 == 0) {
    return Status::InvalidArgument(
        "a consistency proof from the empty tree proves nothing: size1 must be at least 1");
  }
  SHOKO_RETURN_IF_ERROR(CheckHash("first root", root1));
  SHOKO_RETURN_IF_ERROR(CheckHash("second root", root2));
  SHOKO_RETURN_IF_ERROR(CheckProofHashes(proof));
  const size_t want = size1 == size2 ? 0 : ConsistencyLength(size1, size2);
  const auto wrong_length = [&] {
    return WrongLength("consistency proof " + Sizes(size1, size2), proof.size(), want);
  };
  if (proof.size() != want) return wrong_length();
  if (size1 == size2) {
    if (root1 != root2)
      return Status::Corruption("two different roots for tree size " + Sizes(size1, size2));
    return Status::OK();
  }
  // RFC 9162 §2.1.4.2, step by step.
  std::vector<std::string_view> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(size1)) path.push_back(root1);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = size1 - 1, sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  HashBuffer fr, sr;
  std::copy(path[0].begin(), path[0].end(), fr.begin());
  sr = fr;
  for (size_t i = 1; i < path.size(); ++i) {
    if (sn == 0) return wrong_length();
    if ((fn & 1) || fn == sn) {
      HashInto('\x01', path[i], View(fr), fr);
      HashInto('\x01', path[i], View(sr), sr);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      HashInto('\x01', View(sr), path[i], sr);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return wrong_length();
  if (View(fr) != root1) {
    return Status::Corruption("consistency proof " + Sizes(size1, size2) +
                              " does not lead to the first root");
  }
  if (View(sr) != root2) {
    return Status::Corruption("consistency proof " + Sizes(size1, size2) +
                              " does not lead to the second root");
  }
  return Status::OK();
}

Result<CompactRange> CompactRange::FromNodes(uint64_t size, const NodeReader& nodes) {
  CompactRange range;
  uint64_t pos = 0;
  for (int level = 63; level >= 0; --level) {
    if (!((size >> level) & 1)) continue;
    auto hash = nodes(level, pos >> level);
    if (!hash.ok()) return hash.status();
    range.edge_.push_back(std::move(hash).value());
    pos += uint64_t{1} << level;
  }
  range.size_ = size;
  return range;
}

std::vector<CompactRange::Node> CompactRange::Append(std::string leaf_hash) {
  std::vector<Node> completed;
  completed.push_back(Node{0, size_, leaf_hash});
  std::string hash = std::move(leaf_hash);
  uint64_t index = size_;
  // Each set low bit of the old size is a subtree the new leaf completes.
  for (int level = 0; (size_ >> level) & 1; ++level) {
    hash = NodeHash(edge_.back(), hash);
    edge_.pop_back();
    index >>= 1;
    completed.push_back(Node{level + 1, index, hash});
  }
  edge_.push_back(std::move(hash));
  ++size_;
  return completed;
}

std::string CompactRange::Root() const {
  if (edge_.empty()) return EmptyRoot();
  std::string acc = edge_.back();
  for (size_t i = edge_.size() - 1; i-- > 0;) acc = NodeHash(edge_[i], acc);
  return acc;
}

}  // namespace shoko::evidence::merkle
