// Reads a file one line at a time, never holding more than one line in
// memory, and never more than a limit of it: an over-long line is skipped to
// its end, not read (docs/interfaces.md, "Reading DSSE JSON lines").
#ifndef SHOKO_CLI_LINE_READER_H_
#define SHOKO_CLI_LINE_READER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "platform/status.h"

namespace shoko::cli {

class LineReader {
 public:
  // Opens a regular file; errors name it (NotFound, PermissionDenied, or
  // InvalidArgument for something that is not a regular file).
  static Result<LineReader> Open(const std::string& path, size_t max_line_bytes);
  LineReader(LineReader&& other) noexcept;
  LineReader& operator=(LineReader&&) = delete;
  ~LineReader();

  // One line, without its newline.
  struct Line {
    size_t number = 0;      // 1-based
    bool overlong = false;  // longer than the limit: `text` is empty
    std::string text;
  };
  // The next line, false at the end of the file; an I/O error names the file.
  Result<bool> Next(Line* line);

 private:
  LineReader(int fd, std::string path, size_t max_line_bytes);
  Result<bool> Fill();

  int fd_;
  std::string path_;
  size_t max_line_bytes_;
  std::unique_ptr<char[]> buffer_;
  size_t pos_ = 0, end_ = 0;
  size_t number_ = 0;
};

}  // namespace shoko::cli

#endif  // SHOKO_CLI_LINE_READER_H_
