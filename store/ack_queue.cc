#include "store/ack_queue.h"

namespace shoko::store {

AckQueue::AckQueue(WriteAck write, std::function<void()> on_failure, size_t max_pending)
    : max_pending_(max_pending), state_(std::make_shared<State>()) {
  sender_ = std::thread([state = state_, write = std::move(write),
                         on_failure = std::move(on_failure)] { Send(state, write, on_failure); });
}

AckQueue::~AckQueue() { (void)Finish(); }

void AckQueue::Send(const std::shared_ptr<State>& state, const WriteAck& write,
                    const std::function<void()>& on_failure) {
  for (;;) {
    std::shared_ptr<Pending> p;
    {
      std::unique_lock<std::mutex> lock(state->mu);
      state->cv.wait(lock, [&] {
        return (!state->pending.empty() && state->pending.front()->done) ||
               (state->input_done && state->pending.empty());
      });
      if (state->pending.empty()) return;
      do {
        p = state->pending.front();
        state->pending.pop_front();
      } while (p->status.ok() && !state->pending.empty() && state->pending.front()->done);
      if (!p->status.ok()) {
        state->failure = p->status;
        state->stopped = true;
      }
    }
    state->cv.notify_all();  // the reader may be waiting for room
    if (!p->status.ok()) {
      on_failure();
      return;
    }
    if (!write(p->seq)) {
      {
        std::lock_guard<std::mutex> lock(state->mu);
        state->stopped = true;
      }
      state->cv.notify_all();  // a reader waiting for room must see that no room will come
      return;
    }
  }
}

std::shared_ptr<AckQueue::Pending> AckQueue::Push(uint64_t seq, bool done) {
  auto p = std::make_shared<Pending>();
  p->seq = seq;
  p->done = done;
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->cv.wait(lock, [&] { return state_->pending.size() < max_pending_ || state_->stopped; });
  state_->pending.push_back(p);
  lock.unlock();
  state_->cv.notify_all();
  return p;
}

std::function<void(Status)> AckQueue::Expect(uint64_t seq) {
  return [state = state_, p = Push(seq, false)](Status s) {
    {
      std::lock_guard<std::mutex> lock(state->mu);
      p->status = std::move(s);
      p->done = true;
    }
    state->cv.notify_all();
  };
}

void AckQueue::AckHeld(uint64_t seq) { (void)Push(seq, true); }

Status AckQueue::Finish() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->input_done = true;
  }
  state_->cv.notify_all();
  if (sender_.joinable()) sender_.join();
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->failure;
}

}  // namespace shoko::store
