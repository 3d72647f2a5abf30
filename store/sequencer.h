// The log's sequencer (docs/ledger.md, "The sequencer"): it makes accepted
// records leaves of the tree in the order they were committed, stores the
// subtree nodes they complete, and signs a checkpoint at least every
// checkpoint_interval or checkpoint_leaves new leaves. Ingest never waits for
// it: records are committed (and queued) first, integrated after.
//
// One sequencer at a time per database: the store's only process on SQLite;
// on PostgreSQL the holder of an advisory lock, which another store takes
// over once the holder's connection ends (Trillian's model). Whatever happens
// to a process, the tree is what the committed tables say, and a sequencer
// resumes from them.
#ifndef SHOKO_STORE_SEQUENCER_H_
#define SHOKO_STORE_SEQUENCER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "evidence/merkle.h"
#include "platform/status.h"
#include "store/log_key.h"
#include "store/merkle_log.h"

namespace shoko::store {

struct SequencerOptions {
  // A checkpoint once the newest is this old, or this many leaves behind.
  std::chrono::milliseconds checkpoint_interval{10000};
  uint64_t checkpoint_leaves = 1000;
  // Leaves integrated per transaction.
  size_t batch = 4096;
  // How often it looks for new records, or tries to take the role.
  std::chrono::milliseconds poll{200};
};

// What one step did.
struct SequencerStep {
  bool leading = false;
  size_t integrated = 0;
  std::optional<uint64_t> signed_size;  // the checkpoint it signed
};

class Sequencer {
 public:
  // Sequences `log` (its own connection), signing with `signer`, which must
  // outlive it; `now_us` is the store's clock.
  Sequencer(std::unique_ptr<MerkleLog> log, const LogSigner* signer, SequencerOptions options,
            std::function<int64_t()> now_us);
  // Stops the thread after its current step.
  ~Sequencer();
  Sequencer(const Sequencer&) = delete;
  Sequencer& operator=(const Sequencer&) = delete;

  // Runs Step on a thread of its own, every poll (at once while a backlog
  // lasts), until destroyed.
  void Start();
  // One step: take the role if it is free (and then read the tree where the
  // last sequencer left it), integrate up to one batch of queued records,
  // and sign a checkpoint when one is due. A failure gives the role up
  // (the next step takes it again and re-reads the tree).
  Result<SequencerStep> Step();

 private:
  Status Resume();
  Result<size_t> Integrate();
  Result<std::optional<uint64_t>> SignIfDue();
  Status CheckAgainstStoredTree(uint64_t size, const std::string& root);
  void Run();

  const std::unique_ptr<MerkleLog> log_;
  const LogSigner* signer_;
  const SequencerOptions options_;
  const std::function<int64_t()> now_us_;

  // While leading: the tree's right edge and the newest checkpoint, as
  // committed.
  bool leading_ = false;
  std::optional<evidence::merkle::CompactRange> edge_;
  std::optional<StoredCheckpoint> newest_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_SEQUENCER_H_
