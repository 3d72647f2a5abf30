#include "store/committer.h"

#include <vector>

namespace shoko::store {

Committer::Committer(Ledger* ledger, size_t max_batch)
    : ledger_(ledger), max_batch_(max_batch), thread_([this] { Run(); }) {}

Committer::~Committer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Committer::Submit(LedgerAppend append, std::function<void(Status)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back(std::move(append), std::move(done));
  }
  cv_.notify_one();
}

void Committer::Run() {
  for (;;) {
    std::vector<LedgerAppend> batch;
    std::vector<std::function<void(Status)>> callbacks;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front().first));
        callbacks.push_back(std::move(queue_.front().second));
        queue_.pop_front();
      }
    }
    auto results = ledger_->AppendBatch(batch);
    for (size_t i = 0; i < callbacks.size(); ++i) {
      callbacks[i](results.ok() ? (*results)[i] : results.status());
    }
  }
}

}  // namespace shoko::store
