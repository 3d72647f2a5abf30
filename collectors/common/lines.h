// Configuration text read line by line, as every collector's parser does.
#ifndef SHOKO_COLLECTORS_COMMON_LINES_H_
#define SHOKO_COLLECTORS_COMMON_LINES_H_

#include <string_view>

#include "platform/status.h"

namespace shoko::collectors {

// The lines of a text: '\n' ends one, a '\r' before it is dropped (files
// edited on Windows), and a last line without '\n' still counts.
class Lines {
 public:
  explicit Lines(std::string_view text) : rest_(text) {}

  // Sets `line` to the next line and returns true, or returns false at the end.
  bool Next(std::string_view* line) {
    if (rest_.empty()) return false;
    const size_t nl = rest_.find('\n');
    *line = rest_.substr(0, nl);
    rest_.remove_prefix(nl == std::string_view::npos ? rest_.size() : nl + 1);
    if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
    ++number_;
    return true;
  }
  // The 1-based number of the line Next gave last.
  int number() const { return number_; }

 private:
  std::string_view rest_;
  int number_ = 0;
};

// Calls `fn(number, line)` for each line of `text` until it fails; returns
// that failure, or OK.
template <typename Fn>
Status ForEachLine(std::string_view text, Fn fn) {
  Lines lines(text);
  for (std::string_view line; lines.Next(&line);) {
    if (Status s = fn(lines.number(), line); !s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace shoko::collectors

#endif  // SHOKO_COLLECTORS_COMMON_LINES_H_
