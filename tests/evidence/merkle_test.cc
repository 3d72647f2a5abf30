// RFC 9162 Merkle trees: the published RFC 6962 roots and transparency-dev
// proof vectors, and a naive reference (the RFC's recursive MTH, PATH and
// PROOF, written as the RFC states them) over every tree size 1..1,000.
#include "evidence/merkle.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_map>

#include "evidence/encoding.h"
#include "platform/digest.h"

namespace shoko::evidence::merkle {
namespace {

std::string Hex(std::string_view hex) { return *platform::HexDecode(hex); }

// The leaf inputs of RFC 6962's test tree (as transparency-dev publishes them).
std::vector<std::string> Rfc6962Leaves() {
  return {"",
          Hex("00"),
          Hex("10"),
          Hex("2021"),
          Hex("3031"),
          Hex("40414243"),
          Hex("5051525354555657"),
          Hex("606162636465666768696a6b6c6d6e6f")};
}

// Every complete subtree of a tree of leaf hashes, level by level: what a log
// stores, and what its NodeReader serves.
class StoredTree {
 public:
  explicit StoredTree(std::vector<std::string> leaf_hashes) {
    levels_.push_back(std::move(leaf_hashes));
    while (levels_.back().size() > 1) {
      const std::vector<std::string>& below = levels_.back();
      std::vector<std::string> above;
      for (size_t i = 0; i + 1 < below.size(); i += 2) {
        above.push_back(NodeHash(below[i], below[i + 1]));
      }
      levels_.push_back(std::move(above));
    }
  }

  // A reader for the tree of its first `size` leaves: a node beyond them is
  // an error, so a proof that reads one fails the test.
  NodeReader Reader(uint64_t size) const {
    return [this, size](int level, uint64_t index) -> Result<std::string> {
      if (level < 0 || level >= static_cast<int>(levels_.size()) || ((index + 1) << level) > size) {
        return Status::Internal("read of node " + std::to_string(level) + "/" +
                                std::to_string(index) + " outside a tree of " +
                                std::to_string(size));
      }
      return levels_[level][index];
    };
  }
  const std::string& leaf(size_t i) const { return levels_[0][i]; }

 private:
  std::vector<std::vector<std::string>> levels_;
};

StoredTree TreeOf(const std::vector<std::string>& leaf_inputs) {
  std::vector<std::string> hashes;
  for (const std::string& input : leaf_inputs) hashes.push_back(LeafHash(input));
  return StoredTree(std::move(hashes));
}

TEST(MerkleTest, Rfc6962RootsTypedIn) {
  // Facts from RFC 6962's test tree, so a clone without ../shared tests them.
  StoredTree tree = TreeOf(Rfc6962Leaves());
  EXPECT_EQ(platform::HexEncode(*RootHash(0, tree.Reader(0))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(platform::HexEncode(*RootHash(1, tree.Reader(1))),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(platform::HexEncode(*RootHash(3, tree.Reader(3))),
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77");
  EXPECT_EQ(platform::HexEncode(*RootHash(8, tree.Reader(8))),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  EXPECT_EQ(EmptyRoot(), *RootHash(0, tree.Reader(0)));
}

// ---- The public vectors in ../shared/vectors/merkle -----------------------

std::filesystem::path VectorsDir() {
  return std::filesystem::path(SHOKO_SHARED_VECTORS_DIR) / "merkle";
}

nlohmann::json ReadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

std::vector<std::filesystem::path> JsonFiles(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string B64(const nlohmann::json& value) { return *Base64Decode(value.get<std::string>()); }

std::vector<std::string> B64List(const nlohmann::json& values) {
  std::vector<std::string> out;
  for (const auto& v : values) out.push_back(B64(v));
  return out;
}

#define SKIP_WITHOUT_VECTORS()                                                  \
  if (!std::filesystem::is_directory(VectorsDir())) {                           \
    GTEST_SKIP() << "no public Merkle vectors at " << VectorsDir().string()     \
                 << " (../shared/vectors/merkle beside the project); only the " \
                    "typed-in RFC 6962 roots and the reference sweep ran";      \
  }

TEST(MerkleVectorsTest, Rfc6962Roots) {
  SKIP_WITHOUT_VECTORS();
  nlohmann::json roots = ReadJson(VectorsDir() / "roots.json");
  std::vector<std::string> inputs;
  for (const auto& hex : roots["leaf_inputs"]) inputs.push_back(Hex(hex.get<std::string>()));
  ASSERT_EQ(inputs, Rfc6962Leaves());
  StoredTree tree = TreeOf(inputs);
  const auto& want = roots["root_by_tree_size"];
  ASSERT_EQ(want.size(), inputs.size() + 1);
  CompactRange range;
  for (uint64_t size = 0; size < want.size(); ++size) {
    SCOPED_TRACE("tree size " + std::to_string(size));
    EXPECT_EQ(platform::HexEncode(*RootHash(size, tree.Reader(size))), want[size]);
    EXPECT_EQ(platform::HexEncode(range.Root()), want[size]);
    if (size < inputs.size()) (void)range.Append(tree.leaf(size));
  }
}

// The one vector shoko answers differently, on purpose: two "roots" that are
// not SHA-256 hashes are refused even for equal tree sizes, as every hash
// handed to VerifyConsistency is (transparency-dev compares them as bytes).
const std::set<std::string> kStricterThanTheVectors = {
    "sizes-are-equal-one-and-proof-is-empty.json"};

TEST(MerkleVectorsTest, InclusionProofs) {
  SKIP_WITHOUT_VECTORS();
  StoredTree tree = TreeOf(Rfc6962Leaves());
  size_t good = 0, bad = 0;
  for (const auto& file : JsonFiles(VectorsDir() / "inclusion")) {
    SCOPED_TRACE(file.string());
    nlohmann::json v = ReadJson(file);
    const uint64_t index = v["leafIdx"], size = v["treeSize"];
    const std::vector<std::string> proof = B64List(v["proof"]);
    Status s = VerifyInclusion(index, size, B64(v["leafHash"]), proof, B64(v["root"]));
    if (v["wantErr"].get<bool>()) {
      EXPECT_FALSE(s.ok()) << v["desc"];
      ++bad;
      continue;
    }
    EXPECT_TRUE(s.ok()) << v["desc"] << ": " << s.ToString();
    ++good;
    if (size <= 8) {  // a proof from RFC 6962's tree: ours must be the same
      EXPECT_EQ(*InclusionProof(index, size, tree.Reader(size)), proof);
    }
  }
  EXPECT_GE(good, 5u);
  EXPECT_GE(bad, 50u);
}

TEST(MerkleVectorsTest, ConsistencyProofs) {
  SKIP_WITHOUT_VECTORS();
  StoredTree tree = TreeOf(Rfc6962Leaves());
  size_t good = 0, bad = 0;
  for (const auto& file : JsonFiles(VectorsDir() / "consistency")) {
    SCOPED_TRACE(file.string());
    nlohmann::json v = ReadJson(file);
    const uint64_t size1 = v["size1"], size2 = v["size2"];
    const std::vector<std::string> proof = B64List(v["proof"]);
    Status s = VerifyConsistency(size1, size2, B64(v["root1"]), B64(v["root2"]), proof);
    if (kStricterThanTheVectors.contains(file.filename().string())) {
      EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
      continue;
    }
    if (v["wantErr"].get<bool>()) {
      EXPECT_FALSE(s.ok()) << v["desc"];
      ++bad;
      continue;
    }
    EXPECT_TRUE(s.ok()) << v["desc"] << ": " << s.ToString();
    ++good;
    if (size2 <= 8) {
      EXPECT_EQ(*ConsistencyProof(size1, size2, tree.Reader(size2)), proof);
    }
  }
  EXPECT_GE(good, 5u);
  EXPECT_GE(bad, 50u);
}

// ---- Argument checks --------------------------------------------------------

TEST(MerkleTest, RefusesWhatIsNotATreeOrAHash) {
  StoredTree tree = TreeOf(Rfc6962Leaves());
  const std::string root = *RootHash(8, tree.Reader(8));
  EXPECT_EQ(InclusionProof(8, 8, tree.Reader(8)).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(5, 4, tree.Reader(8)).status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(ConsistencyProof(0, 8, tree.Reader(8))->empty());
  EXPECT_TRUE(ConsistencyProof(8, 8, tree.Reader(8))->empty());
  auto proof = *InclusionProof(2, 8, tree.Reader(8));
  EXPECT_TRUE(VerifyInclusion(2, 8, tree.leaf(2), proof, root).ok());
  EXPECT_EQ(VerifyInclusion(8, 8, tree.leaf(2), proof, root).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(VerifyInclusion(2, 8, tree.leaf(2).substr(1), proof, root).code(),
            Status::Code::kInvalidArgument);
  proof[1] += "x";
  Status s = VerifyInclusion(2, 8, tree.leaf(2), proof, root);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("proof hash 1"), std::string::npos) << s.message();
  EXPECT_EQ(VerifyConsistency(0, 8, EmptyRoot(), root, {}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(8, 7, root, root, {}).code(), Status::Code::kInvalidArgument);
}

TEST(MerkleTest, FailuresSayWhatDoesNotHold) {
  StoredTree tree = TreeOf(Rfc6962Leaves());
  const std::string root5 = *RootHash(5, tree.Reader(5)), root8 = *RootHash(8, tree.Reader(8));
  auto proof = *InclusionProof(4, 8, tree.Reader(8));
  proof.pop_back();
  Status s = VerifyInclusion(4, 8, tree.leaf(4), proof, root8);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("has 2 hash(es) where 3 are needed"), std::string::npos)
      << s.message();
  auto consistency = *ConsistencyProof(5, 8, tree.Reader(8));
  s = VerifyConsistency(5, 8, root5, root5, consistency);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("second root"), std::string::npos) << s.message();
  s = VerifyConsistency(8, 8, root5, root8, {});
  EXPECT_NE(s.message().find("two different roots"), std::string::npos) << s.message();
}

// ---- The naive reference, over every tree size 1..1,000 ----------------------

constexpr uint64_t kSweepLeaves = 1000;

// RFC 6962 §2.1, as written: MTH, PATH and PROOF/SUBPROOF over D[a:b],
// recursing on the largest power of two k < n. Only MTH is remembered, so
// that a thousand trees cost seconds and not hours.
class Reference {
 public:
  explicit Reference(const StoredTree& tree) : tree_(tree) {}

  std::string Mth(uint64_t a, uint64_t b) {
    if (b - a == 1) return tree_.leaf(a);
    const uint64_t key = a * (kSweepLeaves + 2) + b;
    auto held = mth_.find(key);
    if (held != mth_.end()) return held->second;
    const uint64_t k = LargestPowerOfTwoBelow(b - a);
    std::string hash = NodeHash(Mth(a, a + k), Mth(a + k, b));
    mth_.emplace(key, hash);
    return hash;
  }

  // PATH(m, D[a:b]) for leaf a + m, appended to `path`.
  void Path(uint64_t m, uint64_t a, uint64_t b, std::vector<std::string>& path) {
    if (b - a == 1) return;
    const uint64_t k = LargestPowerOfTwoBelow(b - a);
    if (m < k) {
      Path(m, a, a + k, path);
      path.push_back(Mth(a + k, b));
    } else {
      Path(m - k, a + k, b, path);
      path.push_back(Mth(a, a + k));
    }
  }

  // SUBPROOF(m, D[a:b], whole), appended to `proof`.
  void Subproof(uint64_t m, uint64_t a, uint64_t b, bool whole, std::vector<std::string>& proof) {
    if (m == b - a) {
      if (!whole) proof.push_back(Mth(a, b));
      return;
    }
    const uint64_t k = LargestPowerOfTwoBelow(b - a);
    if (m <= k) {
      Subproof(m, a, a + k, whole, proof);
      proof.push_back(Mth(a + k, b));
    } else {
      Subproof(m - k, a + k, b, false, proof);
      proof.push_back(Mth(a, a + k));
    }
  }

 private:
  static uint64_t LargestPowerOfTwoBelow(uint64_t n) {
    uint64_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  }

  const StoredTree& tree_;
  std::unordered_map<uint64_t, std::string> mth_;  // (a, b) → MTH(D[a:b])
};

// The sweep's tree: leaf i's input is its index, big-endian; one leaf more
// than the sweep so that "the next size" always has a root.
const StoredTree& SweepTree() {
  static const StoredTree* tree = [] {
    std::vector<std::string> inputs;
    for (uint64_t i = 0; i <= kSweepLeaves; ++i) {
      std::string input(8, '\0');
      for (int b = 0; b < 8; ++b) input[7 - b] = static_cast<char>(i >> (8 * b));
      inputs.push_back(input);
    }
    return new StoredTree(TreeOf(inputs));
  }();
  return *tree;
}

Reference& SweepReference() {
  static Reference* reference = new Reference(SweepTree());
  return *reference;
}

std::string FlipBit(std::string hash, uint64_t salt) {
  hash[salt % hash.size()] ^= static_cast<char>(1u << (salt % 8));
  return hash;
}

TEST(MerkleSweepTest, RootsAndTheCompactRangeAgreeWithTheReference) {
  const StoredTree& tree = SweepTree();
  Reference& ref = SweepReference();
  CompactRange range;
  for (uint64_t size = 1; size <= kSweepLeaves; ++size) {
    std::vector<CompactRange::Node> completed = range.Append(tree.leaf(size - 1));
    const std::string want = ref.Mth(0, size);
    ASSERT_EQ(range.Root(), want) << "size " << size;
    ASSERT_EQ(*RootHash(size, tree.Reader(size)), want) << "size " << size;
    ASSERT_EQ(CompactRange::FromNodes(size, tree.Reader(size))->Root(), want) << size;
    ASSERT_EQ(completed.front().level, 0);
    for (const CompactRange::Node& node : completed) {
      ASSERT_EQ(*tree.Reader(size)(node.level, node.index), node.hash)
          << "size " << size << " node " << node.level << "/" << node.index;
    }
  }
  EXPECT_EQ(range.size(), kSweepLeaves);
}

// Every leaf's inclusion proof in every tree of `first` to `last` leaves: the
// sweep in slices that CTest runs side by side.
void SweepInclusion(uint64_t first, uint64_t last) {
  const auto start = std::chrono::steady_clock::now();
  const StoredTree& tree = SweepTree();
  Reference& ref = SweepReference();
  size_t checked = 0;
  for (uint64_t size = first; size <= last; ++size) {
    const std::string root = ref.Mth(0, size), next_root = ref.Mth(0, size + 1);
    const NodeReader nodes = tree.Reader(size);
    for (uint64_t index = 0; index < size; ++index) {
      std::vector<std::string> want;
      ref.Path(index, 0, size, want);
      auto proof = InclusionProof(index, size, nodes);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      ASSERT_EQ(*proof, want) << "leaf " << index << " of " << size;
      const std::string& leaf = tree.leaf(index);
      ASSERT_TRUE(VerifyInclusion(index, size, leaf, want, root).ok()) << index << "/" << size;
      // Corrupted (in place, then put back): a flipped bit, a proof for
      // another tree size, a truncated proof.
      const uint64_t salt = index * 31 + size;
      if (want.empty()) {
        ASSERT_FALSE(VerifyInclusion(index, size, FlipBit(leaf, salt), want, root).ok());
      } else {
        std::string& hash = want[salt % want.size()];
        const std::string kept = hash;
        hash = FlipBit(hash, salt);
        ASSERT_FALSE(VerifyInclusion(index, size, leaf, want, root).ok()) << index << "/" << size;
        hash = kept;
      }
      ASSERT_FALSE(VerifyInclusion(index, size + 1, leaf, want, next_root).ok())
          << index << "/" << size;
      if (!want.empty()) {
        want.pop_back();
        ASSERT_FALSE(VerifyInclusion(index, size, leaf, want, root).ok());
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, (last * (last + 1) - (first - 1) * first) / 2);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  std::cout << "[ sweep    ] " << checked << " inclusion proofs (tree sizes " << first << "-"
            << last << ") in " << ms.count() << " ms\n";
}

// Consistency proofs for every pair 1 ≤ size1 ≤ size2 with size2 in
// [first, last]: the sweep in slices that CTest runs side by side.
void SweepConsistency(uint64_t first, uint64_t last) {
  const auto start = std::chrono::steady_clock::now();
  const StoredTree& tree = SweepTree();
  Reference& ref = SweepReference();
  size_t checked = 0;
  for (uint64_t size2 = first; size2 <= last; ++size2) {
    const std::string root2 = ref.Mth(0, size2), next_root = ref.Mth(0, size2 + 1);
    const NodeReader nodes = tree.Reader(size2);
    for (uint64_t size1 = 1; size1 <= size2; ++size1) {
      const std::string root1 = ref.Mth(0, size1);
      std::vector<std::string> want;
      ref.Subproof(size1, 0, size2, true, want);
      auto proof = ConsistencyProof(size1, size2, nodes);
      ASSERT_TRUE(proof.ok()) << proof.status().ToString();
      ASSERT_EQ(*proof, want) << size1 << " → " << size2;
      ASSERT_TRUE(VerifyConsistency(size1, size2, root1, root2, want).ok())
          << size1 << " → " << size2;
      // Corrupted (in place, then put back): a proof for another tree size,
      // a flipped bit, a truncated proof.
      ASSERT_FALSE(VerifyConsistency(size1, size2 + 1, root1, next_root, want).ok())
          << size1 << " → " << size2 << " + 1";
      const uint64_t salt = size1 * 31 + size2;
      if (want.empty()) {
        ASSERT_FALSE(VerifyConsistency(size1, size2, root1, FlipBit(root2, salt), want).ok());
        want.push_back(root1);  // equal sizes: any proof at all is wrong
        ASSERT_FALSE(VerifyConsistency(size1, size2, root1, root2, want).ok());
      } else {
        std::string& hash = want[salt % want.size()];
        const std::string kept = hash;
        hash = FlipBit(hash, salt);
        ASSERT_FALSE(VerifyConsistency(size1, size2, root1, root2, want).ok())
            << size1 << " → " << size2;
        hash = kept;
        want.pop_back();
        ASSERT_FALSE(VerifyConsistency(size1, size2, root1, root2, want).ok());
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, (last * (last + 1) - (first - 1) * first) / 2);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  std::cout << "[ sweep    ] " << checked << " consistency proofs (second sizes " << first << "-"
            << last << ") in " << ms.count() << " ms\n";
}

// Slices of about equal work (leaves and pairs grow with the square of the size).
TEST(MerkleSweepTest, EveryInclusionProofUpTo500) { SweepInclusion(1, 500); }
TEST(MerkleSweepTest, EveryInclusionProof501To710) { SweepInclusion(501, 710); }
TEST(MerkleSweepTest, EveryInclusionProof711To870) { SweepInclusion(711, 870); }
TEST(MerkleSweepTest, EveryInclusionProof871To1000) { SweepInclusion(871, 1000); }
TEST(MerkleSweepTest, EveryConsistencyProofUpTo500) { SweepConsistency(1, 500); }
TEST(MerkleSweepTest, EveryConsistencyProof501To710) { SweepConsistency(501, 710); }
TEST(MerkleSweepTest, EveryConsistencyProof711To870) { SweepConsistency(711, 870); }
TEST(MerkleSweepTest, EveryConsistencyProof871To1000) { SweepConsistency(871, 1000); }

}  // namespace
}  // namespace shoko::evidence::merkle
