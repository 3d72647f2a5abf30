// An in-process transparency log for shokoctl's unit tests: a tree over the
// leaves a test gives it, checkpoints signed with a test key, and ways to
// misbehave (serve leaves that are not the tree's, sign a forked tree).
#ifndef SHOKO_TESTS_CLI_FAKE_LOG_H_
#define SHOKO_TESTS_CLI_FAKE_LOG_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "evidence/keys.h"
#include "evidence/log_leaf.h"
#include "evidence/merkle.h"
#include "evidence/note.h"
#include "shoko/v1/audit.pb.h"
#include "shoko/v1/log.grpc.pb.h"

namespace shoko::cli::testing {

namespace merkle = evidence::merkle;

// Every node of the tree over `leaves`, level by level, for proofs.
class TreeLevels {
 public:
  explicit TreeLevels(const std::vector<v1::LogLeaf>& leaves) {
    levels_.emplace_back();
    for (const v1::LogLeaf& l : leaves) {
      evidence::LogLeafFields f{l.agent_id(), l.seq(), l.record_digest(), l.signature_digest(),
                                l.received_at_us()};
      levels_[0].push_back(merkle::LeafHash(*evidence::LeafInput(f)));
    }
    while (levels_.back().size() > 1) {
      const auto& below = levels_.back();
      std::vector<std::string> up;
      for (size_t i = 0; i + 1 < below.size(); i += 2)
        up.push_back(merkle::NodeHash(below[i], below[i + 1]));
      levels_.push_back(std::move(up));
    }
  }
  merkle::NodeReader Reader() const {
    return [this](int level, uint64_t index) -> Result<std::string> {
      if (static_cast<size_t>(level) >= levels_.size() || index >= levels_[level].size()) {
        return Status::NotFound("no node");
      }
      return levels_[level][index];
    };
  }

 private:
  std::vector<std::vector<std::string>> levels_;
};

// The leaf of a stored record, at `index`.
inline v1::LogLeaf LeafOf(const v1::StoredEvidence& stored, uint64_t index) {
  auto f = *evidence::LeafFieldsOf(stored.envelope(), stored.received_at_us());
  v1::LogLeaf leaf;
  leaf.set_leaf_index(index);
  leaf.set_agent_id(f.agent_id);
  leaf.set_seq(f.seq);
  leaf.set_record_digest(f.record_digest);
  leaf.set_signature_digest(f.signature_digest);
  leaf.set_received_at_us(f.received_at_us);
  return leaf;
}

class FakeLog final : public v1::TransparencyLog::Service {
 public:
  explicit FakeLog(std::string origin = "log.example/test")
      : origin_(std::move(origin)), key_(*evidence::SigningKey::Generate()) {}

  // The pinned key's text, as `shoko-store log-key --public` prints it.
  std::string VerifierKey() const {
    return evidence::NoteVerifier(origin_, evidence::NoteKeyType::kEd25519, key_.public_key())
        .ToString();
  }

  // Appends leaves to the tree (indexes are set here).
  void Append(std::vector<v1::LogLeaf> leaves) {
    std::lock_guard lock(mu_);
    for (v1::LogLeaf& l : leaves) {
      l.set_leaf_index(leaves_.size());
      leaves_.push_back(std::move(l));
    }
  }
  // Signs the checkpoint of the tree as it is, at `signed_at_us`, with
  // `signer` (default: the log's key); it becomes the latest.
  void Sign(int64_t signed_at_us, const evidence::SigningKey* signer = nullptr) {
    std::lock_guard lock(mu_);
    SignLocked(leaves_, signed_at_us, signer ? *signer : key_);
  }
  // Signs the checkpoint of another tree (a fork) as the latest.
  void SignFork(std::vector<v1::LogLeaf> fork, int64_t signed_at_us) {
    std::lock_guard lock(mu_);
    SignLocked(fork, signed_at_us, key_);
    fork_ = std::move(fork);
  }
  // What GetLeaves serves instead of the tree's leaves.
  void ServeLeaves(std::vector<v1::LogLeaf> leaves) {
    std::lock_guard lock(mu_);
    served_ = std::move(leaves);
  }
  uint64_t leaves_asked() {
    std::lock_guard lock(mu_);
    return leaves_asked_;
  }
  // Fills a stored record's leaf and proof against the checkpoint of `size`
  // when the tree of that size holds it (as ListEvidence does).
  void Prove(uint64_t size, v1::StoredEvidence* stored) {
    std::lock_guard lock(mu_);
    auto f = *evidence::LeafFieldsOf(stored->envelope(), stored->received_at_us());
    for (uint64_t i = 0; i < size && i < leaves_.size(); ++i) {
      if (leaves_[i].agent_id() != f.agent_id || leaves_[i].seq() != f.seq) continue;
      *stored->mutable_leaf() = leaves_[i];
      TreeLevels levels(Prefix(size));
      for (std::string& h : *merkle::InclusionProof(i, size, levels.Reader())) {
        stored->add_inclusion_proof(std::move(h));
      }
    }
  }

  grpc::Status GetCheckpoint(grpc::ServerContext*, const v1::GetCheckpointRequest* request,
                             v1::Checkpoint* response) override {
    std::lock_guard lock(mu_);
    if (checkpoints_.empty()) return {grpc::StatusCode::NOT_FOUND, "no checkpoint yet"};
    auto it = request->tree_size() == 0 ? std::prev(checkpoints_.end())
                                        : checkpoints_.find(request->tree_size());
    if (request->tree_size() == 0 && latest_) it = checkpoints_.find(*latest_);
    if (it == checkpoints_.end()) return {grpc::StatusCode::NOT_FOUND, "no such checkpoint"};
    *response = it->second;
    return grpc::Status::OK;
  }
  grpc::Status GetInclusionProofs(grpc::ServerContext*, const v1::InclusionProofsRequest* request,
                                  grpc::ServerWriter<v1::InclusionProof>* writer) override {
    std::lock_guard lock(mu_);
    const uint64_t size = request->tree_size() ? request->tree_size() : *latest_;
    TreeLevels levels(Prefix(size));
    for (uint64_t i = 0; i < size; ++i) {
      const v1::LogLeaf& l = leaves_[i];
      const bool wanted = request->has_records() ? l.agent_id() == request->records().agent_id() &&
                                                       l.seq() >= request->records().first_seq() &&
                                                       l.seq() <= request->records().last_seq()
                                                 : i == request->leaf_index();
      if (!wanted) continue;
      v1::InclusionProof proof;
      *proof.mutable_leaf() = l;
      proof.set_tree_size(size);
      for (std::string& h : *merkle::InclusionProof(i, size, levels.Reader())) {
        proof.add_hashes(std::move(h));
      }
      writer->Write(proof);
    }
    return grpc::Status::OK;
  }
  grpc::Status GetConsistencyProof(grpc::ServerContext*, const v1::ConsistencyProofRequest* request,
                                   v1::ConsistencyProof* response) override {
    std::lock_guard lock(mu_);
    const uint64_t second = request->second_size() ? request->second_size() : *latest_;
    // A fork's proof comes from the fork: it cannot prove what is not so.
    TreeLevels levels(fork_ && second == fork_->size() ? *fork_ : Prefix(second));
    response->set_first_size(request->first_size());
    response->set_second_size(second);
    for (std::string& h :
         *merkle::ConsistencyProof(request->first_size(), second, levels.Reader())) {
      response->add_hashes(std::move(h));
    }
    return grpc::Status::OK;
  }
  grpc::Status GetLeaves(grpc::ServerContext*, const v1::GetLeavesRequest* request,
                         grpc::ServerWriter<v1::LogLeaf>* writer) override {
    std::lock_guard lock(mu_);
    const std::vector<v1::LogLeaf>& from = served_ ? *served_ : leaves_;
    const uint64_t end = request->end() ? request->end() : *latest_;
    for (uint64_t i = request->start(); i < end && i < from.size(); ++i) {
      ++leaves_asked_;
      writer->Write(from[i]);
    }
    return grpc::Status::OK;
  }

 private:
  std::vector<v1::LogLeaf> Prefix(uint64_t size) const {
    return {leaves_.begin(), leaves_.begin() + static_cast<std::ptrdiff_t>(size)};
  }
  void SignLocked(const std::vector<v1::LogLeaf>& leaves, int64_t signed_at_us,
                  const evidence::SigningKey& signer) {
    TreeLevels levels(leaves);
    std::string root = *merkle::RootHash(leaves.size(), levels.Reader());
    v1::Checkpoint cp;
    cp.set_note(*evidence::SignNote(evidence::CheckpointBody(origin_, leaves.size(), root), origin_,
                                    signer));
    cp.set_tree_size(leaves.size());
    cp.set_root_hash(root);
    cp.set_signed_at_us(signed_at_us);
    checkpoints_[leaves.size()] = cp;
    latest_ = leaves.size();
  }

  std::mutex mu_;
  std::string origin_;
  evidence::SigningKey key_;
  std::vector<v1::LogLeaf> leaves_;
  std::optional<std::vector<v1::LogLeaf>> served_;
  std::optional<std::vector<v1::LogLeaf>> fork_;
  std::map<uint64_t, v1::Checkpoint> checkpoints_;
  std::optional<uint64_t> latest_;
  uint64_t leaves_asked_ = 0;
};

}  // namespace shoko::cli::testing

#endif  // SHOKO_TESTS_CLI_FAKE_LOG_H_
