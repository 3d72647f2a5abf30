// An auditor's local copy of the store's log, for `shokoctl monitor`
// (docs/interfaces.md, "The monitor's state"): every leaf, the checkpoints
// verified, and what the leaves say of each agent's sequence.
//
// Two files: STATE, a JSON snapshot replaced whole (write, fsync, rename), and
// STATE.leaves, the leaves in order, 112 bytes each (agent_id, seq, record
// digest, signature digest, received time: the leaf input without its
// prefix), appended and fsynced before the snapshot that counts them. A crash
// leaves at worst leaves the snapshot does not count; Open cuts them off.
// Leaves mirrored but not yet checked against a signed checkpoint are
// "pending": kept across runs, so a long first mirror resumes, and dropped
// whole should the checkpoint not match them. STATE.checkpoints keeps every
// checkpoint verified, one JSON line each.
#ifndef SHOKO_CLI_LOG_MIRROR_H_
#define SHOKO_CLI_LOG_MIRROR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "evidence/merkle.h"
#include "platform/local_files.h"
#include "platform/status.h"
#include "shoko/v1/log.pb.h"

namespace shoko::cli {

// One leaf as STATE.leaves holds it.
inline constexpr size_t kMirrorLeafBytes = 112;

// What the leaves say of one agent.
struct MirroredAgent {
  uint64_t last_seq = 0;
  std::string last_record_digest;  // 32 raw bytes
  int64_t last_received_at_us = 0;
  uint64_t leaves = 0;
};

// The checkpoint a mirror was last verified against.
struct MirroredCheckpoint {
  std::string note;  // as the store served it, with its cosignatures
  uint64_t tree_size = 0;
  std::string root_hash;  // 32 raw bytes
  int64_t signed_at_us = 0;
};

class LogMirror {
 public:
  // Opens (or starts) the mirror at `state_path`, locked against a second
  // monitor; `log_key` is the pinned verifier key text, which a mirror keeps
  // for good (another key is refused: InvalidArgument naming both).
  static Result<LogMirror> Open(const std::string& state_path, const std::string& log_key);

  // The verified part: the leaves that hash to checkpoint().
  uint64_t verified_size() const { return verified_.size; }
  const std::optional<MirroredCheckpoint>& checkpoint() const { return checkpoint_; }
  const std::unordered_map<std::string, MirroredAgent>& verified_agents() const {
    return verified_.agents;
  }
  // Every problem found in verified leaves and checkpoints, in the order found.
  const std::vector<std::string>& problems() const { return verified_.problems; }

  // Verified and pending leaves together.
  uint64_t mirrored_size() const { return pending_.size; }
  // Appends the leaf after mirrored_size() to the pending part and checks it
  // against its agent's sequence: returns the problem it shows (a gap, a
  // repeated seq), if any, which is kept with the pending leaves. A leaf
  // with the wrong index or malformed fields is InvalidArgument.
  Result<std::optional<std::string>> Append(const v1::LogLeaf& leaf);
  // The root of the verified and pending leaves.
  std::string MirroredRoot() const { return pending_.range.Root(); }
  // Makes the pending leaves durable, so a later run resumes after them.
  Status SavePending();
  // The pending leaves hash to `checkpoint`: they become verified.
  Status Verify(MirroredCheckpoint checkpoint);
  // Drops the pending leaves (their problems too).
  Status DiscardPending();
  // A problem with the log as a whole (a split view): kept with the verified
  // part from the next snapshot on.
  void AddProblem(std::string problem);

 private:
  // The tree of the first `size` leaves and what they say.
  struct Tree {
    uint64_t size = 0;
    evidence::merkle::CompactRange range;
    // The complete subtrees `range` is made of, as (level, index, hash):
    // what the snapshot keeps to rebuild it.
    std::vector<evidence::merkle::CompactRange::Node> edge;
    std::unordered_map<std::string, MirroredAgent> agents;
    std::vector<std::string> problems;
  };

  LogMirror(std::string path, platform::FileLock lock)
      : path_(std::move(path)), lock_(std::move(lock)) {}
  Status Load(const std::string& log_key);
  Status WriteSnapshot() const;
  Status SaveLeaves();
  Status TrimLeaves(uint64_t size);

  std::string path_;
  platform::FileLock lock_;
  std::string log_key_;
  std::optional<MirroredCheckpoint> checkpoint_;
  Tree verified_;
  Tree pending_;
  std::string unsaved_;  // pending leaves not yet in STATE.leaves
};

}  // namespace shoko::cli

#endif  // SHOKO_CLI_LOG_MIRROR_H_
