#include "store/config.h"

#include "controls/yaml_doc.h"
#include "platform/net_address.h"

namespace shoko::store {

Result<StoreConfig> LoadStoreConfig(const std::string& path) {
  auto doc = controls::YamlDoc::Load(path);
  if (!doc.ok()) return doc.status();
  const YAML::Node& root = doc->root();
  SHOKO_RETURN_IF_ERROR(doc->CheckMap(root, "store config", {"listen", "db", "insecure_loopback"}));
  StoreConfig c;
  for (auto [key, out] : {std::pair{"listen", &c.listen}, std::pair{"db", &c.db}}) {
    if (!root[key]) continue;
    auto v = doc->String(root[key], key);
    if (!v.ok()) return v.status();
    if (v->empty()) return doc->ErrorAt(root[key], std::string(key) + ": must not be empty");
    *out = *v;
  }
  if (root["listen"]) {
    auto hp = platform::ParseHostPort(c.listen);
    if (!hp.ok()) return doc->ErrorAt(root["listen"], "listen: " + hp.status().message());
  }
  if (root["insecure_loopback"]) {
    auto b = doc->Bool(root["insecure_loopback"], "insecure_loopback");
    if (!b.ok()) return b.status();
    c.insecure_loopback = *b;
  }
  return c;
}

Status ValidateStoreConfig(const StoreConfig& config) {
  auto hp = platform::ParseHostPort(config.listen);
  if (!hp.ok()) return hp.status().WithContext("listen");
  if (!config.insecure_loopback) {
    return Status::InvalidArgument(
        "TLS listeners are not available in this version: pass --insecure-loopback (or set "
        "insecure_loopback: true) to serve plaintext on a loopback address");
  }
  if (!platform::IsLoopbackHost(hp->host)) {
    return Status::InvalidArgument("plaintext is allowed only on a loopback address, not '" +
                                   hp->host + "' (listen " + config.listen + ")");
  }
  return Status::OK();
}

}  // namespace shoko::store
