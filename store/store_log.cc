#include "store/store_log.h"

#include <iostream>

namespace shoko::store {

void Log(std::string_view message) { std::cerr << "shoko-store: " << message << std::endl; }

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
