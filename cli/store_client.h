// How shokoctl finds and reaches its store (design §7): --store, else
// $SHOKO_STORE, else the `store` key of ~/.config/shoko/shokoctl.yaml.
#ifndef SHOKO_CLI_STORE_CLIENT_H_
#define SHOKO_CLI_STORE_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "platform/status.h"

namespace shoko::cli {

// The store address to use; InvalidArgument when none is configured or it is
// malformed, naming where it came from.
Result<std::string> ResolveStoreAddress(const std::string& flag_value);

// A channel to `address`. Plaintext until TLS lands, so loopback only.
Result<std::shared_ptr<grpc::Channel>> ConnectToStore(const std::string& address);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_STORE_CLIENT_H_
