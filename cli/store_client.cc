#include "cli/store_client.h"

#include <cstdlib>

#include "controls/yaml_doc.h"
#include "platform/net_address.h"

namespace shoko::cli {

Result<std::string> ResolveStoreAddress(const std::string& flag_value) {
  std::string address = flag_value;
  std::string origin = "--store";
  if (address.empty()) {
    if (const char* env = std::getenv("SHOKO_STORE"); env != nullptr && *env != '\0') {
      address = env;
      origin = "SHOKO_STORE";
    }
  }
  if (address.empty()) {
    const char* home = std::getenv("HOME");
    std::string path = std::string(home ? home : "") + "/.config/shoko/shokoctl.yaml";
    auto doc = controls::YamlDoc::Load(path);
    if (doc.ok()) {
      SHOKO_RETURN_IF_ERROR(doc->CheckMap(doc->root(), "shokoctl config", {"store"}));
      if (doc->root()["store"]) {
        auto v = doc->String(doc->root()["store"], "store");
        if (!v.ok()) return v.status();
        address = *v;
        origin = doc->Where(doc->root()["store"]);
      }
    } else if (!doc.status().IsNotFound()) {
      return doc.status();
    }
  }
  if (address.empty()) {
    return Status::InvalidArgument(
        "no store given: use --store HOST:PORT, set SHOKO_STORE, or put 'store: HOST:PORT' in "
        "~/.config/shoko/shokoctl.yaml");
  }
  auto hp = platform::ParseHostPort(address);
  if (!hp.ok()) return hp.status().WithContext(origin);
  if (!platform::IsLoopbackHost(hp->host)) {
    return Status::InvalidArgument(origin +
                                   ": TLS is not available in this version, and "
                                   "plaintext is allowed only to a loopback store, not '" +
                                   hp->host + "'");
  }
  return address;
}

Result<std::shared_ptr<grpc::Channel>> ConnectToStore(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace shoko::cli
