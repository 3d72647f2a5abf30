// Polling for a condition another process or thread brings about, with a
// deadline: the one way tests wait for what they cannot be told about.
#ifndef SHOKO_TESTS_SUPPORT_WAIT_UNTIL_H_
#define SHOKO_TESTS_SUPPORT_WAIT_UNTIL_H_

#include <chrono>
#include <thread>

namespace shoko::testing {

// True once `done()` holds, looking every `every`; false if it still does
// not after `limit`.
template <typename F>
bool WaitUntil(F done, std::chrono::milliseconds limit,
               std::chrono::milliseconds every = std::chrono::milliseconds(50)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(every);
  }
  return true;
}

}  // namespace shoko::testing

#endif  // SHOKO_TESTS_SUPPORT_WAIT_UNTIL_H_
