#include "agent/log.h"

#include <iostream>
#include <string>

namespace shoko::agent {

// One write per line, so that lines from the daemon's threads never interleave.
void Log(const std::string& message) {
  const std::string line = "shoko-agent: " + message + "\n";
  std::cerr.write(line.data(), static_cast<std::streamsize>(line.size())).flush();
}

}  // namespace shoko::agent
