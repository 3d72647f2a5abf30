#include "platform/net_address.h"

#include <arpa/inet.h>

#include <charconv>

namespace shoko::platform {

Result<HostPort> ParseHostPort(std::string_view address) {
  const std::string bad = "'" + std::string(address) +
                          "' is not an address of the form HOST:PORT (e.g. 127.0.0.1:7443)";
  HostPort hp;
  std::string_view port;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return Status::InvalidArgument(bad);
    }
    hp.host = std::string(address.substr(1, close - 1));
    port = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string_view::npos || address.find(':') != colon) {
      return Status::InvalidArgument(bad);
    }
    hp.host = std::string(address.substr(0, colon));
    port = address.substr(colon + 1);
  }
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), hp.port);
  if (hp.host.empty() || port.empty() || ec != std::errc() || p != port.data() + port.size() ||
      hp.port < 0 || hp.port > 65535) {
    return Status::InvalidArgument(bad);
  }
  return hp;
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  std::string h(host);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

}  // namespace shoko::platform
