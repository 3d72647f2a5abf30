// How shokoctl finds and reaches its store (design §7): the address from
// --store, else $SHOKO_STORE, else the `store` key of
// ~/.config/shoko/shokoctl.yaml; the credentials from --ca/--cert/--key, else
// the same file's `ca`, `cert` and `key`. Without a CA, plaintext, and only to
// a loopback store.
#ifndef SHOKO_CLI_STORE_CLIENT_H_
#define SHOKO_CLI_STORE_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <ostream>
#include <string>

#include "platform/status.h"

namespace CLI {
class App;
}

namespace shoko::cli {

// The connection flags every store-facing subcommand takes.
struct StoreFlags {
  std::string store;
  std::string ca, cert, key;
};
// Adds --store, --ca, --cert and --key to `command`.
void AddStoreFlags(CLI::App* command, StoreFlags* flags);

// A channel to the store (its address in `address`), or null after saying on
// `err` what is missing or malformed and where it came from: a usage error,
// exit 2.
std::shared_ptr<grpc::Channel> ConnectToStore(const StoreFlags& flags, std::string* address,
                                              std::ostream& err);

// Says why a call to the store at `address` failed, on `err`, and returns the
// exit code (design §7): 3 unreachable, 2 refused credentials or a bad
// argument, 4 anything else.
int StoreCallFailed(const grpc::Status& status, const std::string& address, std::ostream& err);

}  // namespace shoko::cli

#endif  // SHOKO_CLI_STORE_CLIENT_H_
