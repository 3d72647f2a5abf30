// shoko-store: the central audit store (docs/architecture.md, "store/"). This
// file only wires flags to commands; `serve` is store/serve.h.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <sstream>

#include "platform/exit_code.h"
#include "shoko/version.h"
#include "store/serve.h"
#include "store/store_log.h"

namespace shoko::store {
namespace {

void AddServeFlags(CLI::App* serve, ServeFlags* flags) {
  serve->add_option("--config", flags->config, "Store config file (YAML).")->type_name("FILE");
  serve->add_option("--listen", flags->listen, "HOST:PORT to listen on (overrides the config).")
      ->type_name("HOST:PORT");
  serve
      ->add_option("--db", flags->db,
                   "SQLite database file, or postgresql://… URL (overrides the config).")
      ->type_name("FILE|URL")
      ->check([](const std::string& v) { return v.empty() ? "must not be empty" : ""; });
  serve->add_flag("--insecure-loopback", flags->insecure_loopback,
                  "Serve plaintext gRPC; allowed only on a loopback address.");
  serve->add_option("--tls-cert", flags->tls_cert, "The store's certificate (PEM).")
      ->type_name("FILE");
  serve->add_option("--tls-key", flags->tls_key, "The store's private key (PEM).")
      ->type_name("FILE");
  serve->add_option("--tls-ca", flags->tls_ca, "The deployment CA certificate (PEM).")
      ->type_name("FILE");
  serve
      ->add_option("--tls-ca-key", flags->tls_ca_key,
                   "The CA's key: lets the store enroll agents and renew their certificates.")
      ->type_name("FILE");
  serve
      ->add_option("--log-key", flags->log_key,
                   "The log key that signs checkpoints (overrides the config's log_key; "
                   "created when absent).")
      ->type_name("FILE");
  serve
      ->add_option("--soa", flags->soa,
                   "A statement of applicability (YAML); repeat for each service "
                   "(overrides the config's soa).")
      ->type_name("FILE");
}

// `log-key --public`: the flags that find the key.
void AddLogKeyFlags(CLI::App* log_key, ServeFlags* flags, bool* public_key) {
  log_key->add_flag("--public", *public_key,
                    "Print the public key as a C2SP verifier key (the private key is never "
                    "printed).");
  log_key->add_option("--config", flags->config, "Store config file (YAML).")->type_name("FILE");
  log_key->add_option("--db", flags->db, "The store's database (overrides the config).")
      ->type_name("FILE|URL");
  log_key->add_option("--log-key", flags->log_key, "The log key file (overrides the config).")
      ->type_name("FILE");
}

// Prints the log's verifier key on stdout.
int PrintLogKey(const ServeFlags& flags, bool public_key) {
  if (!public_key) {
    Log("usage: log-key needs --public (the private key is never printed)");
    return kExitUsage;
  }
  Result<std::string> vkey = LogVerifierKey(flags);
  if (!vkey.ok()) {
    Log("error: " + vkey.status().message());
    return ExitCodeFor(vkey.status());
  }
  std::cout << *vkey << std::endl;
  return kExitOk;
}

// Logs why the store stopped, one line per problem.
void LogError(const Status& s) {
  std::istringstream lines(s.message());
  for (std::string line; std::getline(lines, line);) Log("error: " + line);
}

int Main(int argc, char** argv) {
  CLI::App app{
      "shoko-store: the central audit store. It verifies every signature and chain "
      "and keeps evidence in an append-only ledger."};
  app.set_version_flag("--version", std::string(kShokoVersion));
  app.require_subcommand(1);
  ServeFlags serve_flags;
  CLI::App* serve = app.add_subcommand("serve", "Serve evidence ingest and audit queries.");
  AddServeFlags(serve, &serve_flags);
  ServeFlags key_flags;
  bool public_key = false;
  CLI::App* log_key = app.add_subcommand(
      "log-key", "Print the store's log key for auditors to pin (created when absent).");
  AddLogKeyFlags(log_key, &key_flags, &public_key);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    Log(std::string("usage: ") + e.what() + " (see --help)");
    return kExitUsage;
  }
  if (log_key->parsed()) return PrintLogKey(key_flags, public_key);
  const Status served = Serve(serve_flags);
  if (!served.ok()) LogError(served);
  return ExitCodeFor(served);
}

}  // namespace
}  // namespace shoko::store

int main(int argc, char** argv) {
  try {
    return shoko::store::Main(argc, argv);
  } catch (const std::exception& e) {
    shoko::store::Log(std::string("internal error: ") + e.what());
    return shoko::kExitInternal;
  }
}
