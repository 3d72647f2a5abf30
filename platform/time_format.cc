#include "platform/time_format.h"

#include <chrono>
#include <ctime>

namespace shoko::platform {

int64_t WallClockMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatRfc3339(int64_t micros) {
  int64_t secs = micros / 1000000;
  if (micros < 0 && micros % 1000000 != 0) --secs;
  time_t t = static_cast<time_t>(secs);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatUtcDate(int64_t micros) { return FormatRfc3339(micros).substr(0, 10); }

}  // namespace shoko::platform
