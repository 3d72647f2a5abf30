#include "store/store_log.h"

#include <iostream>
#include <string>

namespace shoko::store {

// One write per line: the sequencer and the RPC threads log concurrently, and
// pieces written separately interleave ("serving …" would lose its prefix).
void Log(std::string_view message) {
  std::string line = "shoko-store: ";
  line.append(message).push_back('\n');
  std::cerr.write(line.data(), static_cast<std::streamsize>(line.size())).flush();
}

grpc::Status Refuse(const grpc::ServerContext& context, std::string_view what,
                    std::string_view subject, grpc::StatusCode code, std::string why) {
  for (char& c : why) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  Log("refused " + std::string(what) + " from " + context.peer() +
      (subject.empty() ? "" : " " + std::string(subject)) + ": " + why);
  return grpc::Status(code, why);
}

}  // namespace shoko::store
