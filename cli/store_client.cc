#include "cli/store_client.h"

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "platform/grpc_status.h"
#include "platform/grpc_tls.h"
#include "platform/net_address.h"
#include "platform/yaml_doc.h"

namespace shoko::cli {

CLI::App* AddStoreCommand(CLI::App& parent, const std::string& name, const std::string& description,
                          StoreFlags* flags) {
  CLI::App* command = parent.add_subcommand(name, description);
  command
      ->add_option("--store", flags->store,
                   "Store HOST:PORT (default: $SHOKO_STORE, then ~/.config/shoko/shokoctl.yaml).")
      ->type_name("HOST:PORT");
  command->add_option("--ca", flags->ca, "The deployment CA certificate (PEM).")->type_name("FILE");
  command->add_option("--cert", flags->cert, "Your certificate (PEM).")->type_name("FILE");
  command->add_option("--key", flags->key, "Your private key (PEM).")->type_name("FILE");
  return command;
}

std::string ShokoctlConfigPath() {
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.config/shoko/shokoctl.yaml";
}

Result<ShokoctlConfig> LoadShokoctlConfig() {
  ShokoctlConfig config;
  auto doc = platform::YamlDoc::Load(ShokoctlConfigPath());
  if (!doc.ok()) {
    if (doc.status().IsNotFound()) return config;
    return doc.status();
  }
  SHOKO_RETURN_IF_ERROR(
      doc->CheckMap(doc->root(), "shokoctl config", {"store", "ca", "cert", "key", "log_key"}));
  for (auto [key, out] : {std::pair{"store", &config.store}, std::pair{"ca", &config.ca},
                          std::pair{"cert", &config.cert}, std::pair{"key", &config.key},
                          std::pair{"log_key", &config.log_key}}) {
    if (!doc->root()[key]) continue;
    SHOKO_ASSIGN_OR_RETURN(out->value, doc->String(doc->root()[key], key));
    out->where = doc->Where(doc->root()[key]);
  }
  return config;
}

namespace {

// The channel, or a usage error naming what is missing or malformed and
// where it came from.
Result<std::shared_ptr<grpc::Channel>> Connect(const StoreFlags& flags, std::string* address) {
  StoreFlags resolved = flags;
  std::string origin = "--store";
  if (resolved.store.empty()) {
    if (const char* env = std::getenv("SHOKO_STORE"); env != nullptr && *env != '\0') {
      resolved.store = env;
      origin = "SHOKO_STORE";
    }
  }
  SHOKO_ASSIGN_OR_RETURN(ShokoctlConfig config, LoadShokoctlConfig());
  for (auto [from, out] :
       {std::pair{&config.store, &resolved.store}, std::pair{&config.ca, &resolved.ca},
        std::pair{&config.cert, &resolved.cert}, std::pair{&config.key, &resolved.key}}) {
    if (!out->empty() || from->value.empty()) continue;
    *out = from->value;
    if (out == &resolved.store) origin = from->where;
  }
  if (resolved.store.empty()) {
    return Status::InvalidArgument(
        "no store given: use --store HOST:PORT, set SHOKO_STORE, or put 'store: HOST:PORT' in "
        "~/.config/shoko/shokoctl.yaml");
  }
  auto hp = platform::ParseHostPort(resolved.store);
  if (!hp.ok()) return hp.status().WithContext(origin);
  std::optional<platform::TlsFiles> tls;
  if (!resolved.ca.empty()) {
    tls = platform::TlsFiles{resolved.ca, resolved.cert, resolved.key};
  } else if (!resolved.cert.empty() || !resolved.key.empty()) {
    return Status::InvalidArgument("--cert and --key need --ca, the deployment CA certificate");
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // A peer that accepts the connection but never completes the handshake
  // costs at most this long.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 5000);
  auto channel = platform::OpenChannel(resolved.store, tls, args);
  if (!channel.ok()) return channel.status().WithContext(origin + " " + resolved.store);
  *address = resolved.store;
  return channel;
}

}  // namespace

Result<StoreChannel> ConnectToStore(const StoreFlags& flags) {
  StoreChannel store;
  SHOKO_ASSIGN_OR_RETURN(store.channel, Connect(flags, &store.address));
  return store;
}

Status StoreChannel::CallFailed(const grpc::Status& status) const {
  return platform::FromGrpc(status, "store " + address);
}

}  // namespace shoko::cli
