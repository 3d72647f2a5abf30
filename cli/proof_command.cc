#include "cli/proof_command.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/checkpoint_command.h"
#include "cli/log_client.h"
#include "cli/log_key.h"
#include "evidence/merkle.h"
#include "platform/digest.h"
#include "platform/exit_code.h"
#include "platform/text_table.h"
#include "platform/time_format.h"

namespace shoko::cli {
namespace {

std::vector<std::string> HexHashes(const google::protobuf::RepeatedPtrField<std::string>& hashes) {
  std::vector<std::string> hex;
  for (const std::string& h : hashes) hex.push_back(platform::HexEncode(h));
  return hex;
}

// Prints `rows` (name, value) as a table, or as one JSON object with the
// hashes as an array.
void PrintProof(const std::string& format, const std::vector<std::vector<std::string>>& rows,
                const std::vector<std::string>& hashes, std::ostream& out) {
  if (format == "json") {
    nlohmann::ordered_json j;
    for (const auto& row : rows) j[row[0]] = row[1];
    j["hashes"] = hashes;
    out << j.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> table = rows;
  for (size_t i = 0; i < hashes.size(); ++i) {
    table.push_back({i == 0 ? "hashes" : "", hashes[i]});
  }
  if (hashes.empty()) table.push_back({"hashes", "(none)"});
  platform::PrintAligned(table, out);
}

// The verdict line: verified, or why not, on `out` or `err`; the exit code.
// With --format json, stdout holds only the proof's JSON: a verified proof
// is said on `err`.
int Verdict(const Status& verified, const std::string& what, const ProofQuery& query,
            std::ostream& out, std::ostream& err) {
  if (verified.ok()) {
    if (query.format == "json") {
      err << "shokoctl: " << what << ": verified\n";
    } else {
      out << what << ": verified\n";
    }
    return kExitOk;
  }
  if (verified.code() != Status::Code::kCorruption) return Fail(verified, err);
  err << "shokoctl: " << what << ": " << verified.message() << "\n";
  return kExitProblems;
}

// The checkpoint of `size` leaves, opened with the pinned key.
Result<evidence::Checkpoint> SignedCheckpoint(LogClient& log, uint64_t size,
                                              const evidence::NoteVerifier& key) {
  SHOKO_ASSIGN_OR_RETURN(v1::Checkpoint served, log.Checkpoint(size));
  auto opened = OpenServedCheckpoint(served, key);
  if (!opened.ok()) {
    return opened.status().WithContext("checkpoint of " + std::to_string(size) + " leaves");
  }
  if (opened->tree_size != size) {
    return Status::Corruption("asked for the checkpoint of " + std::to_string(size) +
                              " leaves, the store answered with " +
                              std::to_string(opened->tree_size));
  }
  return opened;
}

Result<v1::InclusionProof> OneInclusionProof(LogClient& log, const ProofQuery& query) {
  v1::InclusionProofsRequest request;
  request.set_tree_size(query.size);
  if (query.leaf) {
    request.set_leaf_index(*query.leaf);
  } else {
    request.mutable_records()->set_agent_id(query.agent);
    request.mutable_records()->set_first_seq(query.seq);
    request.mutable_records()->set_last_seq(query.seq);
  }
  SHOKO_ASSIGN_OR_RETURN(std::vector<v1::InclusionProof> proofs, log.InclusionProofs(request));
  const std::string which = query.leaf
                                ? "leaf " + std::to_string(*query.leaf)
                                : "agent " + query.agent + " seq " + std::to_string(query.seq);
  if (proofs.empty()) {
    return Status::Corruption("the log holds no leaf for " + which +
                              (query.size
                                   ? " in the tree of " + std::to_string(query.size) + " leaves"
                                   : " in its latest checkpoint"));
  }
  const v1::LogLeaf& leaf = proofs[0].leaf();
  if (proofs.size() != 1 || (query.leaf && leaf.leaf_index() != *query.leaf) ||
      (!query.leaf && (leaf.agent_id() != query.agent || leaf.seq() != query.seq))) {
    return Status::Corruption("the store answered for " + which + " with another leaf");
  }
  return proofs[0];
}

Status CheckInclusionQuery(const ProofQuery& query) {
  if (query.leaf.has_value() == !query.agent.empty()) {
    return Status::InvalidArgument("proof inclusion needs --leaf N, or --agent ID with --seq S");
  }
  if (!query.leaf && (!platform::IsHexSha256(query.agent) || query.seq == 0)) {
    return Status::InvalidArgument(
        "--agent takes a whole agent_id (64 lowercase hex digits) and --seq a seq from 1");
  }
  return Status::OK();
}

}  // namespace

int RunInclusionProof(const ProofQuery& query, std::ostream& out, std::ostream& err) {
  if (Status bad = CheckInclusionQuery(query); !bad.ok()) return Fail(bad, err);
  auto key = PinnedLogKey(query.log_key);
  if (!key.ok()) return Fail(key.status(), err);
  auto store = ConnectToStore(query.connection);
  if (!store.ok()) return Fail(store.status(), err);
  LogClient log(*store, kLogCallDeadline);
  auto proof = OneInclusionProof(log, query);
  if (!proof.ok()) return Verdict(proof.status(), "inclusion proof", query, out, err);
  const v1::LogLeaf& leaf = proof->leaf();
  auto leaf_hash = ServedLeafHash(leaf);
  PrintProof(query.format,
             {{"leaf_index", std::to_string(leaf.leaf_index())},
              {"agent_id", leaf.agent_id()},
              {"seq", std::to_string(leaf.seq())},
              {"record_digest", platform::HexEncode(leaf.record_digest())},
              {"signature_digest", platform::HexEncode(leaf.signature_digest())},
              {"received_at", platform::FormatRfc3339(leaf.received_at_us())},
              {"leaf_hash", leaf_hash.ok() ? platform::HexEncode(*leaf_hash) : "-"},
              {"tree_size", std::to_string(proof->tree_size())}},
             HexHashes(proof->hashes()), out);
  const std::string what = "inclusion of leaf " + std::to_string(leaf.leaf_index()) +
                           " in the checkpoint of " + std::to_string(proof->tree_size()) +
                           " leaves";
  if (!*key) {
    err << "shokoctl: " << what << " not verified: " << NoLogKeyPinned() << "\n";
    return kExitOk;
  }
  auto checkpoint = SignedCheckpoint(log, proof->tree_size(), **key);
  if (!checkpoint.ok()) return Verdict(checkpoint.status(), what, query, out, err);
  return Verdict(VerifyServedInclusion(leaf, Hashes(proof->hashes()), *checkpoint), what, query,
                 out, err);
}

int RunConsistencyProof(const ProofQuery& query, std::ostream& out, std::ostream& err) {
  if (query.from == 0) {
    return Fail(Status::InvalidArgument("--from: a tree of at least 1 leaf (every tree extends "
                                        "the empty one)"),
                err);
  }
  auto key = PinnedLogKey(query.log_key);
  if (!key.ok()) return Fail(key.status(), err);
  auto store = ConnectToStore(query.connection);
  if (!store.ok()) return Fail(store.status(), err);
  LogClient log(*store, kLogCallDeadline);
  auto proof = log.ConsistencyProof(query.from, query.to);
  if (!proof.ok()) return Fail(proof.status(), err);
  PrintProof(query.format,
             {{"first_size", std::to_string(proof->first_size())},
              {"second_size", std::to_string(proof->second_size())}},
             HexHashes(proof->hashes()), out);
  const std::string what = "consistency of the checkpoint of " +
                           std::to_string(proof->first_size()) + " leaves with that of " +
                           std::to_string(proof->second_size());
  if (!*key) {
    err << "shokoctl: " << what << " not verified: " << NoLogKeyPinned() << "\n";
    return kExitOk;
  }
  if (proof->first_size() != query.from || (query.to != 0 && proof->second_size() != query.to)) {
    return Verdict(Status::Corruption("the store answered for other tree sizes"), what, query, out,
                   err);
  }
  auto first = SignedCheckpoint(log, proof->first_size(), **key);
  if (!first.ok()) return Verdict(first.status(), what, query, out, err);
  auto second = SignedCheckpoint(log, proof->second_size(), **key);
  if (!second.ok()) return Verdict(second.status(), what, query, out, err);
  Status verified =
      evidence::merkle::VerifyConsistency(first->tree_size, second->tree_size, first->root_hash,
                                          second->root_hash, Hashes(proof->hashes()));
  if (!verified.ok()) verified = Status::Corruption(verified.message());
  return Verdict(verified, what, query, out, err);
}

void AddProofCommands(CLI::App& app, Commands& commands) {
  auto query = std::make_shared<ProofQuery>();
  CLI::App* proof = app.add_subcommand("proof", "The log's inclusion and consistency proofs.");
  proof->require_subcommand(1);
  CLI::App* inclusion = AddStoreCommand(
      *proof, "inclusion", "Prove a leaf is in a checkpoint, verified with the pinned log key.",
      &query->connection);
  inclusion->add_option("--leaf", query->leaf, "The leaf of index N.")->type_name("N");
  inclusion->add_option("--agent", query->agent, "The record of this agent (its whole id)...")
      ->type_name("ID");
  inclusion->add_option("--seq", query->seq, "... at this seq.")->type_name("S");
  inclusion->add_option("--size", query->size, "In the checkpoint of N leaves (default: latest).")
      ->type_name("N");
  CLI::App* consistency = AddStoreCommand(
      *proof, "consistency",
      "Prove a later checkpoint only adds to an earlier one, verified with the pinned log key.",
      &query->connection);
  consistency->add_option("--from", query->from, "The earlier checkpoint's size.")
      ->required()
      ->type_name("N");
  consistency->add_option("--to", query->to, "The later checkpoint's size (default: latest).")
      ->type_name("M");
  for (CLI::App* command : {inclusion, consistency}) {
    AddLogKeyOption(command, &query->log_key);
    AddFormatOption(command, &query->format, {"table", "json"});
  }
  commands.On(inclusion, [query](std::ostream& out, std::ostream& err) {
    return RunInclusionProof(*query, out, err);
  });
  commands.On(consistency, [query](std::ostream& out, std::ostream& err) {
    return RunConsistencyProof(*query, out, err);
  });
}

}  // namespace shoko::cli
