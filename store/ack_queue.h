// An upload's acks (docs/wire-protocol.md, "Records and acks"): records are
// verified on the stream's thread and committed by the Committer together with
// other streams'; their acks go out on a thread of their own, in order, as they
// become durable, so that reading, verifying and committing overlap.
#ifndef SHOKO_STORE_ACK_QUEUE_H_
#define SHOKO_STORE_ACK_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "platform/status.h"

namespace shoko::store {

class AckQueue {
 public:
  // Sends one ack; false when the client is gone.
  using WriteAck = std::function<bool(uint64_t acked_seq)>;

  // `write` runs on the queue's thread. `on_failure` runs there once, when a
  // commit fails: it wakes the stream's reader (the stream ends). Beyond
  // `max_pending` records awaiting their ack, Expect waits: a client that
  // does not wait for acks is held back, not buffered.
  AckQueue(WriteAck write, std::function<void()> on_failure, size_t max_pending = 4096);
  // Finishes, if Finish has not been called.
  ~AckQueue();
  AckQueue(const AckQueue&) = delete;
  AckQueue& operator=(const AckQueue&) = delete;

  // Record `seq` is being committed: its ack goes out once the returned
  // callback reports the commit's success. One ack covers every record
  // durable so far, so that there are fewer writes under load.
  std::function<void(Status)> Expect(uint64_t seq);
  // The store already holds `seq`: acked again, in turn.
  void AckHeld(uint64_t seq);
  // Waits until every expected record is committed and acked, or a commit
  // failed: then that commit's status.
  Status Finish();

 private:
  struct Pending {
    uint64_t seq = 0;
    bool done = false;
    Status status;
  };
  // Shared with the commit callbacks, which may outlive the queue when a
  // commit fails and the stream ends before the others report.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::shared_ptr<Pending>> pending;
    bool input_done = false;
    bool stopped = false;  // the sender has gone: a commit failed, or the client
    Status failure;
  };

  std::shared_ptr<Pending> Push(uint64_t seq, bool done);
  static void Send(const std::shared_ptr<State>& state, const WriteAck& write,
                   const std::function<void()>& on_failure);

  const size_t max_pending_;
  std::shared_ptr<State> state_;
  std::thread sender_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_ACK_QUEUE_H_
