// Group commit (docs/ledger.md, "Group commit"): appends from every upload
// stream go to one thread that commits whatever has queued up in a single
// durable transaction, so that an fsync is paid per batch, not per record.
// Appends commit in the order they were submitted, so one stream's records keep
// their chain order.
#ifndef SHOKO_STORE_COMMITTER_H_
#define SHOKO_STORE_COMMITTER_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "store/ledger.h"

namespace shoko::store {

class Committer {
 public:
  // Commits at most `max_batch` appends per transaction.
  explicit Committer(Ledger* ledger, size_t max_batch = 1024);
  // Commits what is queued, then stops.
  ~Committer();
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  // Queues `append`; `done` runs on the committer's thread with its outcome
  // once the transaction holding it has committed (or failed).
  void Submit(LedgerAppend append, std::function<void(Status)> done);

 private:
  void Run();

  Ledger* ledger_;
  const size_t max_batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<LedgerAppend, std::function<void(Status)>>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_COMMITTER_H_
