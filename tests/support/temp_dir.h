// A fresh directory for one test, removed with everything in it afterwards.
#ifndef SHOKO_TESTS_SUPPORT_TEMP_DIR_H_
#define SHOKO_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>

namespace shoko::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string Path(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to path() + "/" + name, creating parent directories.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// The content of a file, or "" when it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

// tests/fixtures/<name>
std::string FixturePath(const std::string& name);

// ../shared/vectors/<name>, or "" when the shared folder is absent (a clone
// without ../shared); tests that need it skip with a visible message.
std::string SharedVectorPath(const std::string& name);

}  // namespace shoko::testing

#endif  // SHOKO_TESTS_SUPPORT_TEMP_DIR_H_
