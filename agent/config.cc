#include "agent/config.h"

#include <charconv>

#include "platform/net_address.h"
#include "platform/yaml_doc.h"

namespace shoko::agent {

namespace {

// The `store` section: where to upload, and how.
Status ReadStore(const platform::YamlDoc& doc, const YAML::Node& store, AgentConfig* c) {
  SHOKO_RETURN_IF_ERROR(doc.CheckMap(
      store, "store",
      {"address", "insecure_loopback", "ca", "cert", "key", "connect_timeout", "upload_timeout",
       "retry_initial", "retry_max", "drain_rate", "log_key", "inclusion_timeout"}));
  if (!store["address"]) return doc.ErrorAt(store, "store: missing 'address'");
  auto address = doc.String(store["address"], "store.address");
  if (!address.ok()) return address.status();
  auto hp = platform::ParseHostPort(*address);
  if (!hp.ok()) return doc.ErrorAt(store["address"], "store.address: " + hp.status().message());
  c->store_address = *address;
  // TLS with the deployment's CA, or plaintext, which is only for a store on
  // this machine and only when the operator says so.
  for (auto [key, out] :
       {std::pair{"ca", &c->store_ca}, std::pair{"cert", &c->store_cert},
        std::pair{"key", &c->store_key}, std::pair{"log_key", &c->store_log_key}}) {
    if (!store[key]) continue;
    auto v = doc.String(store[key], std::string("store.") + key);
    if (!v.ok()) return v.status();
    *out = *v;
  }
  if (store["insecure_loopback"]) {
    auto b = doc.Bool(store["insecure_loopback"], "store.insecure_loopback");
    if (!b.ok()) return b.status();
    c->store_insecure_loopback = *b;
  }
  if (!c->store_insecure_loopback) {
    if (c->store_ca.empty()) {
      return doc.ErrorAt(store,
                         "store: 'ca' (the deployment CA certificate) is required, or "
                         "'insecure_loopback: true' for plaintext to a loopback store");
    }
  } else if (!c->store_ca.empty() || !c->store_cert.empty() || !c->store_key.empty()) {
    return doc.ErrorAt(store, "store: choose TLS (ca, cert, key) or insecure_loopback, not both");
  } else if (!platform::IsLoopbackHost(hp->host)) {
    return doc.ErrorAt(store["address"],
                       "store.address: plaintext is allowed only to a "
                       "loopback address, not '" +
                           hp->host + "'");
  }
  for (auto [key, out] :
       {std::pair{"connect_timeout", &c->connect_timeout},
        std::pair{"upload_timeout", &c->upload_timeout},
        std::pair{"retry_initial", &c->retry_initial}, std::pair{"retry_max", &c->retry_max},
        std::pair{"inclusion_timeout", &c->inclusion_timeout}}) {
    if (!store[key]) continue;
    auto d = doc.Duration(store[key], std::string("store.") + key);
    if (!d.ok()) return d.status();
    *out = *d;
  }
  if (c->retry_max < c->retry_initial) {
    return doc.ErrorAt(store, "store: retry_max must not be less than retry_initial");
  }
  if (store["drain_rate"]) {
    auto n = doc.Count(store["drain_rate"], "store.drain_rate");
    if (!n.ok()) return n.status();
    c->drain_rate = *n;
  }
  return Status::OK();
}

}  // namespace

Result<AgentConfig> LoadAgentConfig(const std::string& path) {
  auto doc = platform::YamlDoc::Load(path);
  if (!doc.ok()) return doc.status();
  const YAML::Node& root = doc->root();
  SHOKO_RETURN_IF_ERROR(doc->CheckMap(
      root, "agent config",
      {"state_dir", "root", "store", "interval", "refresh", "heartbeat", "collectors", "mapping",
       "baseline", "catalog", "checks_dir", "labels", "outbox", "signing_threads"}));
  AgentConfig c;
  c.source = path;
  auto read_string = [&](const char* key, std::string* out) -> Status {
    if (!root[key]) return Status::OK();
    auto v = doc->String(root[key], key);
    if (!v.ok()) return v.status();
    if (v->empty()) return doc->ErrorAt(root[key], std::string(key) + ": must not be empty");
    *out = *v;
    return Status::OK();
  };
  SHOKO_RETURN_IF_ERROR(read_string("state_dir", &c.state_dir));
  SHOKO_RETURN_IF_ERROR(read_string("root", &c.root));
  SHOKO_RETURN_IF_ERROR(read_string("mapping", &c.mapping_file));
  SHOKO_RETURN_IF_ERROR(read_string("baseline", &c.baseline_file));
  SHOKO_RETURN_IF_ERROR(read_string("catalog", &c.catalog_file));
  SHOKO_RETURN_IF_ERROR(read_string("checks_dir", &c.checks_dir));
  for (auto [key, out] : {std::pair{"interval", &c.interval}, std::pair{"refresh", &c.refresh},
                          std::pair{"heartbeat", &c.heartbeat}}) {
    if (!root[key]) continue;
    auto d = doc->Duration(root[key], key);
    if (!d.ok()) return d.status();
    *out = *d;
  }

  const YAML::Node store = root["store"];
  if (store) SHOKO_RETURN_IF_ERROR(ReadStore(*doc, store, &c));

  if (const YAML::Node list = root["collectors"]) {
    auto names = doc->StringList(list, "collectors");
    if (!names.ok()) return names.status();
    c.collectors = std::move(names).value();
  }
  if (const YAML::Node threads = root["signing_threads"]) {
    const std::string s = threads.IsScalar() ? threads.Scalar() : "";
    size_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || n > 256) {
      return doc->ErrorAt(threads, "signing_threads: expected 0 (all cores) to 256");
    }
    c.signing_threads = n;
  }
  if (const YAML::Node outbox = root["outbox"]) {
    SHOKO_RETURN_IF_ERROR(doc->CheckMap(outbox, "outbox", {"max_records", "max_bytes"}));
    if (outbox["max_records"]) {
      auto n = doc->Count(outbox["max_records"], "outbox.max_records");
      if (!n.ok()) return n.status();
      c.outbox_max_records = *n;
    }
    if (outbox["max_bytes"]) {
      auto n = doc->ByteSize(outbox["max_bytes"], "outbox.max_bytes");
      if (!n.ok()) return n.status();
      c.outbox_max_bytes = *n;
    }
  }
  if (const YAML::Node labels = root["labels"]) {
    SHOKO_RETURN_IF_ERROR(doc->CheckMap(labels, "labels", {"service", "group", "environment"}));
    for (auto [key, out] :
         {std::pair{"service", &c.label_service}, std::pair{"group", &c.label_group},
          std::pair{"environment", &c.label_environment}}) {
      if (!labels[key]) continue;
      auto v = doc->String(labels[key], std::string("labels.") + key);
      if (!v.ok()) return v.status();
      *out = *v;
    }
  }
  return c;
}

}  // namespace shoko::agent
