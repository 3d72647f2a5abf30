#include "store/ledger.h"

#include "store/sql_ledger.h"

namespace shoko::store {

const AgentKey* AgentEntry::Key(const std::string& key_id) const {
  for (const AgentKey& k : keys) {
    if (k.key_id == key_id) return &k;
  }
  return nullptr;
}

Result<evidence::Link> AgentEntry::CheckAppend(const v1::Evidence& ev) const {
  const AgentKey* signer = Key(ev.key_id());
  if (signer == nullptr || ev.seq() < signer->from_seq || ev.seq() > signer->until_seq) {
    return Status::InvalidArgument("seq " + std::to_string(ev.seq()) +
                                   " is not in the window of key " + ev.key_id());
  }
  const evidence::Link link = evidence::Classify(head, ev);
  if (link != evidence::Link::kNext && link != evidence::Link::kGap) {
    return Status::InvalidArgument("seq " + std::to_string(ev.seq()) +
                                   " does not continue the chain at seq " +
                                   std::to_string(head.seq));
  }
  return link;
}

void AgentEntry::HandOver(const std::string& key_id, uint64_t seq,
                          const evidence::PublicKey& next) {
  for (AgentKey& k : keys) {
    if (k.key_id == key_id) k.until_seq = seq;
  }
  keys.push_back({next.KeyId(), next.raw(), seq + 1, UINT64_MAX});
}

bool IsPostgresUrl(const std::string& db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

Result<std::unique_ptr<Ledger>> OpenSqliteLedger(const std::string& path) {
  SHOKO_ASSIGN_OR_RETURN(SqlConnection connection, ConnectSqliteLedger(path));
  return NewSqlLedger(std::move(connection));
}

Result<std::unique_ptr<Ledger>> OpenPostgresLedger(const std::string& url) {
  SHOKO_ASSIGN_OR_RETURN(SqlConnection connection, ConnectPostgresLedger(url));
  return NewSqlLedger(std::move(connection));
}

Result<std::unique_ptr<Ledger>> OpenLedger(const std::string& db) {
  SHOKO_ASSIGN_OR_RETURN(SqlConnection connection, ConnectLedger(db));
  return NewSqlLedger(std::move(connection));
}

}  // namespace shoko::store
