// host:port addresses of shoko's listeners and peers.
#ifndef SHOKO_PLATFORM_NET_ADDRESS_H_
#define SHOKO_PLATFORM_NET_ADDRESS_H_

#include <string>
#include <string_view>

#include "platform/status.h"

namespace shoko::platform {

struct HostPort {
  std::string host;  // without brackets for IPv6
  int port = 0;
};

// "127.0.0.1:7443", "localhost:7443", "[::1]:7443". Port 0 is allowed (pick a free one).
Result<HostPort> ParseHostPort(std::string_view address);

// 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

}  // namespace shoko::platform

#endif  // SHOKO_PLATFORM_NET_ADDRESS_H_
