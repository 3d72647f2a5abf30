// `shoko-store serve` (docs/interfaces.md, "shoko-store"): the steps that turn
// its flags into a running store, each testable without starting a process.
#ifndef SHOKO_STORE_SERVE_H_
#define SHOKO_STORE_SERVE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform/status.h"
#include "platform/x509.h"
#include "store/config.h"
#include "store/ledger.h"

namespace shoko::store {

// The flags of `serve`. Empty (or false): the config file's value.
struct ServeFlags {
  std::string config;  // the config file; empty: the defaults
  std::string listen;
  std::string db;
  bool insecure_loopback = false;
  std::string tls_cert, tls_key, tls_ca, tls_ca_key;
  std::vector<std::string> soa;
  std::string log_key;
};

// The config file (when flags.config names one) with the flags over it,
// checked as a whole.
Result<StoreConfig> ResolveConfig(const ServeFlags& flags);

// The ledger config.db names. A SQLite file's directory is made (0700) when
// missing.
Result<std::unique_ptr<Ledger>> OpenConfiguredLedger(const StoreConfig& config);

// The CA that enrolls agents, when the config names its key (tls_ca_key);
// nothing otherwise (enrollment is off).
Result<std::optional<platform::CertificateAuthority>> LoadEnrollmentCa(const StoreConfig& config);

// The gRPC server on config.listen with `credentials` and `services`; the
// port it got in `*port`. InvalidArgument when it cannot listen there.
Result<std::unique_ptr<grpc::Server>> StartServer(
    const StoreConfig& config, const std::shared_ptr<grpc::ServerCredentials>& credentials,
    const std::vector<grpc::Service*>& services, int* port);

// `shoko-store log-key --public`: the store's log key as a C2SP verifier key
// ("ORIGIN+KEYID+BASE64"), for auditors to pin. Reads the config file (when
// flags.config names one) with flags.db and flags.log_key over it, and
// creates the key as serve would when it does not exist yet.
Result<std::string> LogVerifierKey(const ServeFlags& flags);

// Serves until SIGTERM or SIGINT, then stops: OK. Otherwise why the store
// could not start; a message of several lines holds one problem per line.
Status Serve(const ServeFlags& flags);

}  // namespace shoko::store

#endif  // SHOKO_STORE_SERVE_H_
