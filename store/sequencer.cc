#include "store/sequencer.h"

#include <pthread.h>

#include <vector>

#include "evidence/log_leaf.h"
#include "store/store_log.h"

namespace shoko::store {

namespace merkle = evidence::merkle;

Sequencer::Sequencer(std::unique_ptr<MerkleLog> log, const LogSigner* signer,
                     SequencerOptions options, std::function<int64_t()> now_us)
    : log_(std::move(log)), signer_(signer), options_(options), now_us_(std::move(now_us)) {}

Sequencer::~Sequencer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sequencer::Start() {
  thread_ = std::thread([this] { Run(); });
  // Named, so that top -H and /proc show what integrating the log costs.
  pthread_setname_np(thread_.native_handle(), "sequencer");
}

void Sequencer::Run() {
  std::string last_failure;
  for (;;) {
    Result<SequencerStep> step = Step();
    // A failure is logged when it first appears, not at every poll.
    if (!step.ok() && step.status().message() != last_failure) {
      last_failure = step.status().message();
      Log("sequencer: " + last_failure);
    }
    if (step.ok()) last_failure.clear();
    const bool backlog = step.ok() && step->integrated == options_.batch;
    std::unique_lock<std::mutex> lock(mu_);
    if (!backlog) wake_.wait_for(lock, options_.poll, [&] { return stopping_; });
    if (stopping_) return;
  }
}

Result<SequencerStep> Sequencer::Step() {
  SequencerStep step;
  if (!leading_) {
    SHOKO_ASSIGN_OR_RETURN(const bool lead, log_->Lead());
    if (!lead) return step;
    leading_ = true;
    if (Status resumed = Resume(); !resumed.ok()) {
      leading_ = false;
      return resumed;
    }
  }
  step.leading = true;
  Result<size_t> integrated = Integrate();
  Result<std::optional<uint64_t>> signed_size =
      integrated.ok() ? SignIfDue() : Result<std::optional<uint64_t>>(integrated.status());
  if (!signed_size.ok()) {
    // Whatever failed (a lost connection ends the advisory lock, another
    // sequencer moved the tree), the role is taken again and the tree re-read.
    leading_ = false;
    return signed_size.status();
  }
  step.integrated = *integrated;
  step.signed_size = *signed_size;
  return step;
}

Status Sequencer::Resume() {
  SHOKO_ASSIGN_OR_RETURN(merkle::CompactRange edge, log_->Edge());
  SHOKO_ASSIGN_OR_RETURN(newest_, log_->Checkpoint(0));
  // The newest checkpoint must still be what the stored tree says.
  if (newest_)
    SHOKO_RETURN_IF_ERROR(CheckAgainstStoredTree(newest_->tree_size, newest_->root_hash));
  edge_ = std::move(edge);
  Log("sequencing the log: " + std::to_string(edge_->size()) + " leaves, newest checkpoint " +
      (newest_ ? "of " + std::to_string(newest_->tree_size) + " leaves" : std::string("none")));
  return Status::OK();
}

Result<size_t> Sequencer::Integrate() {
  SHOKO_ASSIGN_OR_RETURN(std::vector<QueuedRecord> records, log_->Queued(options_.batch));
  if (records.empty()) return 0;
  merkle::CompactRange next = *edge_;
  std::vector<merkle::CompactRange::Node> nodes;
  nodes.reserve(records.size() * 2);
  for (const QueuedRecord& r : records) {
    Result<std::string> input = evidence::LeafInput(r.fields);
    if (!input.ok()) {
      return Status::Corruption("the record of agent " + r.fields.agent_id + " seq " +
                                std::to_string(r.fields.seq) +
                                " cannot be a leaf: " + input.status().message());
    }
    for (merkle::CompactRange::Node& n : next.Append(merkle::LeafHash(*input))) {
      nodes.push_back(std::move(n));
    }
  }
  SHOKO_ASSIGN_OR_RETURN(const bool appended, log_->Append(edge_->size(), records, nodes));
  if (!appended) {
    return Status::Unavailable(
        "the tree grew under this sequencer (another one ran): re-reading it");
  }
  edge_ = std::move(next);
  return records.size();
}

Result<std::optional<uint64_t>> Sequencer::SignIfDue() {
  const uint64_t size = edge_->size();
  if (newest_) {
    const int64_t age_us = now_us_() - newest_->signed_at_us;
    const bool due = size - newest_->tree_size >= options_.checkpoint_leaves ||
                     age_us >= options_.checkpoint_interval.count() * 1000;
    if (size == newest_->tree_size || !due) return std::optional<uint64_t>();
  }
  const std::string root = edge_->Root();
  SHOKO_RETURN_IF_ERROR(CheckAgainstStoredTree(size, root));
  if (newest_ && newest_->tree_size > 0) {
    // The new checkpoint only adds to the last: checked before it is signed
    // (every tree extends the empty one).
    SHOKO_ASSIGN_OR_RETURN(std::vector<std::string> proof,
                           log_->ConsistencyProof(newest_->tree_size, size));
    Status consistent =
        merkle::VerifyConsistency(newest_->tree_size, size, newest_->root_hash, root, proof);
    if (!consistent.ok()) {
      Log("ALERT log-inconsistent: the tree of " + std::to_string(size) +
          " leaves is not consistent with the checkpoint of " + std::to_string(newest_->tree_size) +
          ": " + consistent.message());
      return consistent;
    }
  }
  SHOKO_ASSIGN_OR_RETURN(std::string note, signer_->Sign(size, root));
  StoredCheckpoint checkpoint{size, root, std::move(note), now_us_(), {}};
  SHOKO_RETURN_IF_ERROR(log_->AddCheckpoint(checkpoint));
  newest_ = std::move(checkpoint);
  return std::optional<uint64_t>(size);
}

Status Sequencer::CheckAgainstStoredTree(uint64_t size, const std::string& root) {
  SHOKO_ASSIGN_OR_RETURN(const std::string stored, log_->RootHash(size));
  if (stored == root) return Status::OK();
  const std::string why = "the stored tree of " + std::to_string(size) +
                          " leaves does not have the root its checkpoint or its edge says";
  Log("ALERT log-inconsistent: " + why);
  return Status::Corruption(why);
}

}  // namespace shoko::store
