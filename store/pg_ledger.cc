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

// v2: the Merkle log (docs/ledger.md, "The Merkle log"), as SQLite's v5.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE log_queue (
  evidence_id BIGINT PRIMARY KEY REFERENCES evidence (id)
);
INSERT INTO log_queue (evidence_id) SELECT id FROM evidence;
CREATE FUNCTION shoko_queue_for_the_log() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO log_queue (evidence_id) VALUES (NEW.id); RETURN NULL; END $$;
CREATE TRIGGER evidence_queued_for_the_log AFTER INSERT ON evidence
  FOR EACH ROW EXECUTE FUNCTION shoko_queue_for_the_log();
CREATE TABLE log_leaves (
  leaf_index       BIGINT PRIMARY KEY,
  evidence_id      BIGINT NOT NULL UNIQUE REFERENCES evidence (id),
  agent_id         TEXT NOT NULL,
  seq              BIGINT NOT NULL,
  record_digest    BYTEA NOT NULL,
  signature_digest BYTEA NOT NULL,
  received_at_us   BIGINT NOT NULL,
  UNIQUE (agent_id, seq)
);
CREATE TABLE log_nodes (
  node BIGINT PRIMARY KEY,
  hash BYTEA NOT NULL
);
CREATE TABLE log_state (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  tree_size    BIGINT NOT NULL,
  origin       TEXT,
  verifier_key TEXT
);
INSERT INTO log_state (id, tree_size) VALUES (1, 0);
CREATE TABLE checkpoints (
  tree_size    BIGINT PRIMARY KEY,
  root_hash    BYTEA NOT NULL,
  note         TEXT NOT NULL,
  signed_at_us BIGINT NOT NULL
);
CREATE TABLE cosignatures (
  tree_size   BIGINT NOT NULL REFERENCES checkpoints (tree_size),
  cosigner    TEXT NOT NULL,
  line        TEXT NOT NULL,
  cosigned_at BIGINT NOT NULL,
  added_at_us BIGINT NOT NULL,
  PRIMARY KEY (tree_size, cosigner)
);
CREATE FUNCTION shoko_log_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'the log is append-only'; END $$;
CREATE TRIGGER log_leaves_append_only BEFORE UPDATE OR DELETE ON log_leaves
  FOR EACH ROW EXECUTE FUNCTION shoko_log_append_only();
CREATE TRIGGER log_nodes_append_only BEFORE UPDATE OR DELETE ON log_nodes
  FOR EACH ROW EXECUTE FUNCTION shoko_log_append_only();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
  FOR EACH ROW EXECUTE FUNCTION shoko_log_append_only();
CREATE TRIGGER cosignatures_append_only BEFORE UPDATE OR DELETE ON cosignatures
  FOR EACH ROW EXECUTE FUNCTION shoko_log_append_only();
CREATE FUNCTION shoko_checkpoint_within_the_tree() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN
    IF NEW.tree_size > (SELECT tree_size FROM log_state) THEN
      RAISE EXCEPTION 'a checkpoint beyond the tree';
    END IF;
    RETURN NEW;
  END $$;
CREATE TRIGGER checkpoints_within_the_tree BEFORE INSERT ON checkpoints
  FOR EACH ROW EXECUTE FUNCTION shoko_checkpoint_within_the_tree();
CREATE FUNCTION shoko_log_state_only_grows() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN
    IF TG_OP = 'DELETE' OR NEW.tree_size < OLD.tree_size OR (OLD.origin IS NOT NULL AND
       (NEW.origin IS DISTINCT FROM OLD.origin OR
        NEW.verifier_key IS DISTINCT FROM OLD.verifier_key)) THEN
      RAISE EXCEPTION 'the log only grows, under one origin and key';
    END IF;
    RETURN NEW;
  END $$;
CREATE TRIGGER log_state_only_grows BEFORE UPDATE OR DELETE ON log_state
  FOR EACH ROW EXECUTE FUNCTION shoko_log_state_only_grows();
)sql";

}  // namespace

Result<SqlConnection> ConnectPostgresLedger(const std::string& url) {
  SHOKO_ASSIGN_OR_RETURN(std::unique_ptr<platform::PgDb> db, platform::PgDb::Connect(url));
  SHOKO_RETURN_IF_ERROR(db->Migrate("ledger", {kSchemaV1, kSchemaV2}));
  return SqlConnection{std::move(db), &kPostgresDialect};
}

}  // namespace shoko::store
