// Wall-clock time as shoko stores and prints it: microseconds since the Unix
// epoch, shown in UTC.
#ifndef SHOKO_PLATFORM_TIME_FORMAT_H_
#define SHOKO_PLATFORM_TIME_FORMAT_H_

#include <cstdint>
#include <string>

namespace shoko::platform {

// The system clock now, in microseconds since the Unix epoch.
int64_t WallClockMicros();
// "2026-11-25T19:38:01Z" for microseconds since the Unix epoch.
std::string FormatRfc3339(int64_t micros);
// "2026-11-25", the UTC day of `micros`: the day statement dates are compared with.
std::string FormatUtcDate(int64_t micros);

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_TIME_FORMAT_H_
