// How shokoctl finds and reaches its store (docs/interfaces.md, "shokoctl"):
// the address from --store, else $SHOKO_STORE, else the `store` key of
// ~/.config/shoko/shokoctl.yaml; the credentials from --ca/--cert/--key, else
// the same file's `ca`, `cert` and `key`. Without a CA, plaintext, and only to
// a loopback store.
#ifndef SHOKO_CLI_STORE_CLIENT_H_
#define SHOKO_CLI_STORE_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "platform/status.h"

namespace CLI {
class App;
}

namespace shoko::cli {

// ~/.config/shoko/shokoctl.yaml (under $HOME).
std::string ShokoctlConfigPath();

// What shokoctl.yaml says: each key's value and where it was read
// ("FILE:LINE"); empty values for keys it does not set.
struct ShokoctlConfig {
  struct Value {
    std::string value;
    std::string where;
  };
  Value store, ca, cert, key;
  Value
      log_key;  // a file holding the log's verifier key (docs/interfaces.md, "Pinning the log key")
};
// The config file, or an empty config when there is none; an unknown key or
// a value that is not a string is an error naming its line.
Result<ShokoctlConfig> LoadShokoctlConfig();

// The connection flags every store-facing subcommand takes.
struct StoreFlags {
  std::string store;
  std::string ca, cert, key;
};
// A subcommand of `parent` that talks to the store, with --store, --ca,
// --cert and --key bound to `flags`.
CLI::App* AddStoreCommand(CLI::App& parent, const std::string& name, const std::string& description,
                          StoreFlags* flags);

// A channel to the store, and the address it was found at.
struct StoreChannel {
  std::shared_ptr<grpc::Channel> channel;
  std::string address;

  // A failed call as a Status naming the store: "store ADDRESS: what it
  // said", through the one gRPC mapping (platform::FromGrpc).
  Status CallFailed(const grpc::Status& status) const;
};

// The store `flags` (or the environment, or the config file) name; errors say
// what is missing or malformed and where it came from.
Result<StoreChannel> ConnectToStore(const StoreFlags& flags);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_STORE_CLIENT_H_
