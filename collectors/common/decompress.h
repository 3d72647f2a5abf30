// Compressed host files, by their magic bytes: gzip (rotated logs, dnf's
// metadata), xz and zstd (dnf's metadata), or plain text as it is.
#ifndef SHOKO_COLLECTORS_COMMON_DECOMPRESS_H_
#define SHOKO_COLLECTORS_COMMON_DECOMPRESS_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "platform/status.h"

namespace shoko::collectors {

// Decompresses `data` by its magic bytes (gzip, xz, zstd, or plain), handing
// each chunk to `sink` as it comes. Refuses output beyond `max_bytes` (a
// bomb) and damaged or truncated data, naming `file`; stops at the first
// error `sink` returns.
Status DecompressEach(std::string_view data, std::string_view file, size_t max_bytes,
                      const std::function<Status(std::string_view)>& sink);
// The same, collected into one string (small files: logs, tests).
Result<std::string> Decompress(std::string_view data, std::string_view file, size_t max_bytes);

}  // namespace shoko::collectors

#endif  // SHOKO_COLLECTORS_COMMON_DECOMPRESS_H_
