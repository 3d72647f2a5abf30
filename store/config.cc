#include "store/config.h"

#include "platform/net_address.h"
#include "platform/yaml_doc.h"
#include "store/log_key.h"

namespace shoko::store {
namespace {

// The sequencer's keys of the config.
Status LoadLogSettings(const platform::YamlDoc& doc, StoreConfig* c) {
  const YAML::Node& root = doc.root();
  if (root["sequencer"]) {
    SHOKO_ASSIGN_OR_RETURN(c->sequencer, doc.Bool(root["sequencer"], "sequencer"));
  }
  if (root["checkpoint_interval"]) {
    SHOKO_ASSIGN_OR_RETURN(c->checkpoint_interval,
                           doc.Duration(root["checkpoint_interval"], "checkpoint_interval"));
  }
  if (root["checkpoint_leaves"]) {
    SHOKO_ASSIGN_OR_RETURN(c->checkpoint_leaves,
                           doc.Count(root["checkpoint_leaves"], "checkpoint_leaves"));
  }
  return Status::OK();
}

}  // namespace

Result<StoreConfig> LoadStoreConfig(const std::string& path) {
  auto doc = platform::YamlDoc::Load(path);
  if (!doc.ok()) return doc.status();
  const YAML::Node& root = doc->root();
  SHOKO_RETURN_IF_ERROR(doc->CheckMap(
      root, "store config",
      {"listen", "db", "insecure_loopback", "tls_cert", "tls_key", "tls_ca", "tls_ca_key",
       "agent_cert_days", "max_upload_streams", "catalog", "mapping", "soa", "stale_grace",
       "log_key", "log_origin", "sequencer", "checkpoint_interval", "checkpoint_leaves"}));
  StoreConfig c;
  for (auto [key, out] :
       {std::pair{"listen", &c.listen}, std::pair{"db", &c.db}, std::pair{"tls_cert", &c.tls_cert},
        std::pair{"tls_key", &c.tls_key}, std::pair{"tls_ca", &c.tls_ca},
        std::pair{"tls_ca_key", &c.tls_ca_key}, std::pair{"catalog", &c.catalog},
        std::pair{"mapping", &c.mapping}, std::pair{"log_key", &c.log_key},
        std::pair{"log_origin", &c.log_origin}}) {
    if (!root[key]) continue;
    auto v = doc->String(root[key], key);
    if (!v.ok()) return v.status();
    if (v->empty()) return doc->ErrorAt(root[key], std::string(key) + ": must not be empty");
    *out = *v;
  }
  if (root["log_origin"]) {
    if (Status s = CheckLogOrigin(c.log_origin); !s.ok()) {
      return doc->ErrorAt(root["log_origin"], s.message());
    }
  }
  if (root["listen"]) {
    auto hp = platform::ParseHostPort(c.listen);
    if (!hp.ok()) return doc->ErrorAt(root["listen"], "listen: " + hp.status().message());
  }
  if (root["soa"]) {
    auto files = doc->StringList(root["soa"], "soa");
    if (!files.ok()) return files.status();
    c.soa = std::move(files).value();
  }
  if (root["stale_grace"]) {
    auto d = doc->Duration(root["stale_grace"], "stale_grace");
    if (!d.ok()) return d.status();
    c.stale_grace = *d;
  }
  if (root["agent_cert_days"]) {
    auto n = doc->Count(root["agent_cert_days"], "agent_cert_days");
    if (!n.ok()) return n.status();
    if (*n > 825) return doc->ErrorAt(root["agent_cert_days"], "agent_cert_days: at most 825");
    c.agent_cert_days = static_cast<int>(*n);
  }
  if (root["max_upload_streams"]) {
    auto n = doc->Count(root["max_upload_streams"], "max_upload_streams");
    if (!n.ok()) return n.status();
    c.max_upload_streams = static_cast<int>(std::min<uint64_t>(*n, 1 << 20));
  }
  SHOKO_RETURN_IF_ERROR(LoadLogSettings(*doc, &c));
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
  const int tls_files = !config.tls_cert.empty() + !config.tls_key.empty() + !config.tls_ca.empty();
  if (config.insecure_loopback && tls_files > 0) {
    return Status::InvalidArgument(
        "choose TLS (tls_cert, tls_key, tls_ca) or insecure_loopback, not both");
  }
  if (!config.insecure_loopback) {
    if (tls_files != 3) {
      return Status::InvalidArgument(
          "the store needs tls_cert, tls_key and tls_ca (see shokoctl pki), or "
          "--insecure-loopback to serve plaintext on a loopback address");
    }
    return Status::OK();
  }
  if (!config.tls_ca_key.empty()) {
    return Status::InvalidArgument("tls_ca_key (enrollment) needs TLS, not insecure_loopback");
  }
  if (!platform::IsLoopbackHost(hp->host)) {
    return Status::InvalidArgument("plaintext is allowed only on a loopback address, not '" +
                                   hp->host + "' (listen " + config.listen + ")");
  }
  return Status::OK();
}

}  // namespace shoko::store
