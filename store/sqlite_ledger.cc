// The SQLite ledger (the default): its schema's history and its dialect. The
// rules are the SqlLedger's (store/sql_ledger.h).
#include <string_view>

#include "platform/sqlite_db.h"
#include "store/sql_ledger.h"

namespace shoko::store {
namespace {

// Schema migrations, oldest first (see SqliteDb::Migrate).
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE agents (
  agent_id         TEXT PRIMARY KEY,
  public_key       BLOB NOT NULL,
  registered_at_us INTEGER NOT NULL,
  head_seq         INTEGER NOT NULL DEFAULT 0,
  head_digest      BLOB NOT NULL
);
CREATE TABLE evidence (
  id              INTEGER PRIMARY KEY,
  agent_id        TEXT NOT NULL REFERENCES agents (agent_id),
  seq             INTEGER NOT NULL,
  record_digest   BLOB NOT NULL,
  envelope        BLOB NOT NULL,
  check_id        TEXT NOT NULL,
  verdict         INTEGER NOT NULL,
  collected_at_us INTEGER NOT NULL,
  received_at_us  INTEGER NOT NULL,
  UNIQUE (agent_id, seq)
);
CREATE TABLE evidence_controls (
  control_ref TEXT NOT NULL,
  evidence_id INTEGER NOT NULL REFERENCES evidence (id),
  PRIMARY KEY (control_ref, evidence_id)
) WITHOUT ROWID;
-- Normal operation never changes or removes evidence (docs/ledger.md, "Append-only enforcement").
CREATE TRIGGER evidence_append_only_update BEFORE UPDATE ON evidence
  BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TRIGGER evidence_append_only_delete BEFORE DELETE ON evidence
  BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
)sql";

// v2: agents may rotate keys, and holes in a chain are kept.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE agent_keys (
  agent_id   TEXT NOT NULL REFERENCES agents (agent_id),
  key_id     TEXT NOT NULL,
  public_key BLOB NOT NULL,
  from_seq   INTEGER NOT NULL,
  until_seq  INTEGER,
  PRIMARY KEY (agent_id, key_id)
);
INSERT INTO agent_keys (agent_id, key_id, public_key, from_seq)
  SELECT agent_id, agent_id, public_key, 1 FROM agents;
ALTER TABLE evidence ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
DROP TRIGGER evidence_append_only_update;
UPDATE evidence SET key_id = agent_id;
CREATE TRIGGER evidence_append_only_update BEFORE UPDATE ON evidence
  BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
CREATE TABLE chain_gaps (
  agent_id       TEXT NOT NULL REFERENCES agents (agent_id),
  first_seq      INTEGER NOT NULL,
  last_seq       INTEGER NOT NULL,
  detected_at_us INTEGER NOT NULL,
  PRIMARY KEY (agent_id, first_seq)
);
)sql";

// v3: agents can be revoked or retired; enrollment tokens (kept as hashes).
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE agents ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
ALTER TABLE agents ADD COLUMN state_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN state_changed_at_us INTEGER NOT NULL DEFAULT 0;
CREATE TABLE enrollment_tokens (
  token_sha256  BLOB PRIMARY KEY,
  created_at_us INTEGER NOT NULL,
  expires_at_us INTEGER NOT NULL,
  note          TEXT NOT NULL,
  created_by    TEXT NOT NULL,
  used_at_us    INTEGER,
  used_by       TEXT
);
)sql";

// v4: incidents (forks) are kept with the refused envelope.
constexpr std::string_view kSchemaV4 = R"sql(
CREATE TABLE incidents (
  id             INTEGER PRIMARY KEY,
  agent_id       TEXT NOT NULL,
  seq            INTEGER NOT NULL,
  kind           TEXT NOT NULL,
  envelope       BLOB NOT NULL,
  detail         TEXT NOT NULL,
  detected_at_us INTEGER NOT NULL
);
)sql";

// v5: the Merkle log (docs/ledger.md, "The Merkle log"). Every accepted
// record is queued for the sequencer by a trigger, in the transaction that
// accepts it; the sequencer makes it a leaf, stores the subtree nodes it
// completes, and signs checkpoints. The log's tables only grow: a second
// checkpoint of a size is refused outright, and none may pass the tree.
constexpr std::string_view kSchemaV5 = R"sql(
CREATE TABLE log_queue (
  evidence_id INTEGER PRIMARY KEY REFERENCES evidence (id)
);
INSERT INTO log_queue (evidence_id) SELECT id FROM evidence;
CREATE TRIGGER evidence_queued_for_the_log AFTER INSERT ON evidence
  BEGIN INSERT INTO log_queue (evidence_id) VALUES (NEW.id); END;
CREATE TABLE log_leaves (
  leaf_index       INTEGER PRIMARY KEY,
  evidence_id      INTEGER NOT NULL UNIQUE REFERENCES evidence (id),
  agent_id         TEXT NOT NULL,
  seq              INTEGER NOT NULL,
  record_digest    BLOB NOT NULL,
  signature_digest BLOB NOT NULL,
  received_at_us   INTEGER NOT NULL,
  UNIQUE (agent_id, seq)
);
CREATE TABLE log_nodes (
  node INTEGER PRIMARY KEY,
  hash BLOB NOT NULL
);
CREATE TABLE log_state (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  tree_size    INTEGER NOT NULL,
  origin       TEXT,
  verifier_key TEXT
);
INSERT INTO log_state (id, tree_size) VALUES (1, 0);
CREATE TABLE checkpoints (
  tree_size    INTEGER PRIMARY KEY,
  root_hash    BLOB NOT NULL,
  note         TEXT NOT NULL,
  signed_at_us INTEGER NOT NULL
);
CREATE TABLE cosignatures (
  tree_size   INTEGER NOT NULL REFERENCES checkpoints (tree_size),
  cosigner    TEXT NOT NULL,
  line        TEXT NOT NULL,
  cosigned_at INTEGER NOT NULL,
  added_at_us INTEGER NOT NULL,
  PRIMARY KEY (tree_size, cosigner)
);
CREATE TRIGGER log_leaves_append_only_update BEFORE UPDATE ON log_leaves
  BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_leaves_append_only_delete BEFORE DELETE ON log_leaves
  BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_nodes_append_only_update BEFORE UPDATE ON log_nodes
  BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER log_nodes_append_only_delete BEFORE DELETE ON log_nodes
  BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER checkpoints_append_only_update BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER checkpoints_append_only_delete BEFORE DELETE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER cosignatures_append_only_update BEFORE UPDATE ON cosignatures
  BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER cosignatures_append_only_delete BEFORE DELETE ON cosignatures
  BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER checkpoints_within_the_tree BEFORE INSERT ON checkpoints
  WHEN NEW.tree_size > (SELECT tree_size FROM log_state)
  BEGIN SELECT RAISE(ABORT, 'a checkpoint beyond the tree'); END;
CREATE TRIGGER log_state_only_grows BEFORE UPDATE ON log_state
  WHEN NEW.tree_size < OLD.tree_size OR (OLD.origin IS NOT NULL AND
       (NEW.origin IS NOT OLD.origin OR NEW.verifier_key IS NOT OLD.verifier_key))
  BEGIN SELECT RAISE(ABORT, 'the log only grows, under one origin and key'); END;
CREATE TRIGGER log_state_kept BEFORE DELETE ON log_state
  BEGIN SELECT RAISE(ABORT, 'the log only grows, under one origin and key'); END;
)sql";

}  // namespace

Result<SqlConnection> ConnectSqliteLedger(const std::string& path) {
  SHOKO_ASSIGN_OR_RETURN(std::unique_ptr<platform::SqliteDb> db, platform::SqliteDb::Open(path));
  SHOKO_RETURN_IF_ERROR(
      db->Migrate("ledger", {kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4, kSchemaV5}));
  return SqlConnection{std::move(db), &kSqliteDialect};
}

}  // namespace shoko::store
