// The PostgreSQL ledger, for fleets: its schema and its dialect. The rules are
// the SqlLedger's (store/sql_ledger.h); the connection, re-opened when the
// server drops it, is platform::PgDb.
#include <string_view>

#include "platform/pg_db.h"
#include "store/sql_ledger.h"

namespace shoko::store {
namespace {

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE agents (
  agent_id            TEXT PRIMARY KEY,
  public_key          BYTEA NOT NULL,
  registered_at_us    BIGINT NOT NULL,
  head_seq            BIGINT NOT NULL DEFAULT 0,
  head_digest         BYTEA NOT NULL,
  state               TEXT NOT NULL DEFAULT 'active',
  state_reason        TEXT NOT NULL DEFAULT '',
  state_changed_at_us BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE agent_keys (
  agent_id   TEXT NOT NULL REFERENCES agents (agent_id),
  key_id     TEXT NOT NULL,
  public_key BYTEA NOT NULL,
  from_seq   BIGINT NOT NULL,
  until_seq  BIGINT,
  PRIMARY KEY (agent_id, key_id)
);
CREATE TABLE evidence (
  id              BIGSERIAL PRIMARY KEY,
  agent_id        TEXT NOT NULL REFERENCES agents (agent_id),
  seq             BIGINT NOT NULL,
  record_digest   BYTEA NOT NULL,
  envelope        BYTEA NOT NULL,
  check_id        TEXT NOT NULL,
  verdict         INTEGER NOT NULL,
  collected_at_us BIGINT NOT NULL,
  received_at_us  BIGINT NOT NULL,
  key_id          TEXT NOT NULL,
  UNIQUE (agent_id, seq)
);
CREATE TABLE evidence_controls (
  control_ref TEXT NOT NULL,
  evidence_id BIGINT NOT NULL REFERENCES evidence (id),
  PRIMARY KEY (control_ref, evidence_id)
);
CREATE TABLE chain_gaps (
  agent_id       TEXT NOT NULL REFERENCES agents (agent_id),
  first_seq      BIGINT NOT NULL,
  last_seq       BIGINT NOT NULL,
  detected_at_us BIGINT NOT NULL,
  PRIMARY KEY (agent_id, first_seq)
);
CREATE TABLE incidents (
  id             BIGSERIAL PRIMARY KEY,
  agent_id       TEXT NOT NULL,
  seq            BIGINT NOT NULL,
  kind           TEXT NOT NULL,
  envelope       BYTEA NOT NULL,
  detail         TEXT NOT NULL,
  detected_at_us BIGINT NOT NULL
);
CREATE TABLE enrollment_tokens (
  token_sha256  BYTEA PRIMARY KEY,
  created_at_us BIGINT NOT NULL,
  expires_at_us BIGINT NOT NULL,
  note          TEXT NOT NULL,
  created_by    TEXT NOT NULL,
  used_at_us    BIGINT,
  used_by       TEXT
);
-- Normal operation never changes or removes evidence (docs/ledger.md, "Append-only enforcement").
CREATE FUNCTION shoko_evidence_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'evidence is append-only'; END $$;
CREATE TRIGGER evidence_append_only BEFORE UPDATE OR DELETE ON evidence
  FOR EACH ROW EXECUTE FUNCTION shoko_evidence_append_only();
)sql";

}  // namespace

Result<std::unique_ptr<Ledger>> OpenPostgresLedger(const std::string& url) {
  SHOKO_ASSIGN_OR_RETURN(std::unique_ptr<platform::PgDb> db, platform::PgDb::Connect(url));
  SHOKO_RETURN_IF_ERROR(db->Migrate("ledger", {kSchemaV1}));
  return NewSqlLedger(std::move(db), kPostgresDialect);
}

}  // namespace shoko::store
