#include "store/log_service.h"

#include "evidence/note.h"
#include "platform/digest.h"
#include "platform/grpc_status.h"
#include "platform/strings.h"
#include "store/store_log.h"

namespace shoko::store {
namespace {

// The log failed while answering: INTERNAL, UNAVAILABLE for a lost database.
grpc::Status StoreError(const Status& s) { return platform::ToGrpc(s.WithContext("store error")); }

grpc::Status Invalid(std::string why) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(why));
}

grpc::Status ClientGone() { return grpc::Status(grpc::StatusCode::CANCELLED, "client went away"); }

// An agent reads the proofs of its own records only.
grpc::Status RefuseOthers(const grpc::ServerContext& context, const Caller& caller,
                          const std::string& agent_id) {
  return Refuse(
      context, "GetInclusionProofs", "(agent " + caller.name + ")",
      grpc::StatusCode::PERMISSION_DENIED,
      "an agent reads the inclusion proofs of its own records only, not agent " + agent_id + "'s");
}

}  // namespace

Result<uint64_t> ProvenTreeSize(MerkleLog& log, uint64_t tree_size) {
  SHOKO_ASSIGN_OR_RETURN(const std::optional<uint64_t> newest, log.NewestCheckpointSize());
  if (!newest) return Status::NotFound("the log has no checkpoint yet");
  if (tree_size == 0) return *newest;
  if (tree_size > *newest) {
    return Status::InvalidArgument("tree size " + std::to_string(tree_size) +
                                   " is beyond the newest checkpoint (" + std::to_string(*newest) +
                                   " leaves)");
  }
  return tree_size;
}

v1::LogLeaf LeafMessage(const LogLeaf& leaf) {
  v1::LogLeaf out;
  out.set_leaf_index(leaf.index);
  out.set_agent_id(leaf.fields.agent_id);
  out.set_seq(leaf.fields.seq);
  out.set_record_digest(leaf.fields.record_digest);
  out.set_signature_digest(leaf.fields.signature_digest);
  out.set_received_at_us(leaf.fields.received_at_us);
  return out;
}

grpc::Status LogService::GetCheckpoint(grpc::ServerContext* context,
                                       const v1::GetCheckpointRequest* request,
                                       v1::Checkpoint* response) {
  if (grpc::Status s = authorization_.Admit(*context, Rpc::kGetCheckpoint); !s.ok()) return s;
  Result<std::optional<StoredCheckpoint>> cp = log_->Checkpoint(request->tree_size());
  if (!cp.ok()) return StoreError(cp.status());
  if (!*cp) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        request->tree_size() == 0
                            ? "the log has no checkpoint yet"
                            : "no checkpoint of tree size " + std::to_string(request->tree_size()));
  }
  response->set_note((*cp)->CosignedNote());
  response->set_tree_size((*cp)->tree_size);
  response->set_root_hash((*cp)->root_hash);
  response->set_signed_at_us((*cp)->signed_at_us);
  return grpc::Status::OK;
}

Result<bool> LogService::WriteProof(const LogLeaf& leaf, uint64_t tree_size,
                                    grpc::ServerWriter<v1::InclusionProof>* writer) {
  SHOKO_ASSIGN_OR_RETURN(std::vector<std::string> hashes,
                         log_->InclusionProof(leaf.index, tree_size));
  v1::InclusionProof proof;
  *proof.mutable_leaf() = LeafMessage(leaf);
  proof.set_tree_size(tree_size);
  for (std::string& h : hashes) proof.add_hashes(std::move(h));
  return writer->Write(proof);
}

grpc::Status LogService::GetInclusionProofs(grpc::ServerContext* context,
                                            const v1::InclusionProofsRequest* request,
                                            grpc::ServerWriter<v1::InclusionProof>* writer) {
  Caller caller;
  if (grpc::Status s = authorization_.Admit(*context, Rpc::kGetInclusionProofs, &caller); !s.ok()) {
    return s;
  }
  Result<uint64_t> size = ProvenTreeSize(*log_, request->tree_size());
  if (!size.ok()) return platform::ToGrpc(size.status());
  if (request->has_records()) {
    return ProofsOfRecords(context, caller, request->records(), *size, writer);
  }
  if (request->leaves_case() != v1::InclusionProofsRequest::kLeafIndex) {
    return Invalid("name a leaf_index or an agent's records");
  }
  const uint64_t index = request->leaf_index();
  if (index >= *size) {
    return Invalid("leaf " + std::to_string(index) + " is not in the tree of " +
                   std::to_string(*size) + " leaves");
  }
  Result<std::optional<LogLeaf>> leaf = log_->Leaf(index);
  if (!leaf.ok()) return StoreError(leaf.status());
  if (!*leaf) return StoreError(Status::Corruption("the log has no leaf " + std::to_string(index)));
  if (caller.reach == Reach::kOwnAgent && (*leaf)->fields.agent_id != caller.name) {
    return RefuseOthers(*context, caller, (*leaf)->fields.agent_id);
  }
  Result<bool> written = WriteProof(**leaf, *size, writer);
  if (!written.ok()) return StoreError(written.status());
  return *written ? grpc::Status::OK : ClientGone();
}

grpc::Status LogService::ProofsOfRecords(grpc::ServerContext* context, const Caller& caller,
                                         const v1::AgentSeqRange& records, uint64_t tree_size,
                                         grpc::ServerWriter<v1::InclusionProof>* writer) {
  if (!platform::IsHexSha256(records.agent_id())) {
    return Invalid("records.agent_id: not an agent id (64 lowercase hex digits)");
  }
  if (records.first_seq() > records.last_seq()) {
    return Invalid("records: first_seq " + std::to_string(records.first_seq()) +
                   " is after last_seq " + std::to_string(records.last_seq()));
  }
  if (caller.reach == Reach::kOwnAgent && records.agent_id() != caller.name) {
    return RefuseOthers(*context, caller, records.agent_id());
  }
  // A page of leaves at a time: a range may hold an agent's whole chain.
  constexpr size_t kPage = 1024;
  uint64_t next_seq = records.first_seq();
  for (;;) {
    Result<std::vector<LogLeaf>> page =
        log_->LeavesOf(records.agent_id(), next_seq, records.last_seq(), tree_size, kPage);
    if (!page.ok()) return StoreError(page.status());
    for (const LogLeaf& leaf : *page) {
      if (context->IsCancelled()) return ClientGone();
      Result<bool> written = WriteProof(leaf, tree_size, writer);
      if (!written.ok()) return StoreError(written.status());
      if (!*written) return ClientGone();
    }
    if (page->size() < kPage || page->back().fields.seq >= records.last_seq()) {
      return grpc::Status::OK;
    }
    next_seq = page->back().fields.seq + 1;
  }
}

grpc::Status LogService::GetConsistencyProof(grpc::ServerContext* context,
                                             const v1::ConsistencyProofRequest* request,
                                             v1::ConsistencyProof* response) {
  if (grpc::Status s = authorization_.Admit(*context, Rpc::kGetConsistencyProof); !s.ok()) {
    return s;
  }
  Result<uint64_t> second = ProvenTreeSize(*log_, request->second_size());
  if (!second.ok()) return platform::ToGrpc(second.status());
  if (request->first_size() > *second) {
    return Invalid("first_size " + std::to_string(request->first_size()) +
                   " is larger than second_size " + std::to_string(*second));
  }
  Result<std::vector<std::string>> proof = log_->ConsistencyProof(request->first_size(), *second);
  if (!proof.ok()) return StoreError(proof.status());
  response->set_first_size(request->first_size());
  response->set_second_size(*second);
  for (std::string& h : *proof) response->add_hashes(std::move(h));
  return grpc::Status::OK;
}

grpc::Status LogService::GetLeaves(grpc::ServerContext* context,
                                   const v1::GetLeavesRequest* request,
                                   grpc::ServerWriter<v1::LogLeaf>* writer) {
  if (grpc::Status s = authorization_.Admit(*context, Rpc::kGetLeaves); !s.ok()) return s;
  Result<uint64_t> end = ProvenTreeSize(*log_, request->end());
  if (!end.ok()) return platform::ToGrpc(end.status());
  if (request->start() > *end) {
    return Invalid("start " + std::to_string(request->start()) + " is after end " +
                   std::to_string(*end));
  }
  bool client_gone = false;
  uint64_t sent = 0;
  Status listed = log_->Leaves(request->start(), *end, [&](const LogLeaf& leaf) {
    // IsCancelled takes a lock: asked per leaf, it would slow a mirror down.
    client_gone =
        (++sent % 4096 == 0 && context->IsCancelled()) || !writer->Write(LeafMessage(leaf));
    return !client_gone;
  });
  if (!listed.ok()) return StoreError(listed);
  return client_gone ? ClientGone() : grpc::Status::OK;
}

Result<evidence::NoteVerifier> LogService::CosignerKey(const std::string& name,
                                                       const Caller& caller) {
  const std::string agent_id =
      name.starts_with(kCosignerPrefix) ? name.substr(kCosignerPrefix.size()) : "";
  if (!platform::IsHexSha256(agent_id)) {
    return Status::InvalidArgument("signature_line: the cosigner '" + name + "' is not " +
                                   std::string(kCosignerPrefix) + "AGENT_ID");
  }
  if (caller.reach == Reach::kOwnAgent && agent_id != caller.name) {
    return Status::PermissionDenied("agent " + caller.name + " cosigns as itself only, not as " +
                                    name);
  }
  SHOKO_ASSIGN_OR_RETURN(std::optional<AgentEntry> agent, ledger_->FindAgent(agent_id));
  if (!agent) return Status::NotFound("agent " + agent_id + " is not known to this store");
  if (agent->state != kAgentActive) {
    return Status::PermissionDenied("agent " + agent_id + " is " + agent->state);
  }
  // The current key signs from its window's start on, with no end.
  const AgentKey* current = nullptr;
  for (const AgentKey& k : agent->keys) {
    if (k.until_seq == UINT64_MAX) current = &k;
  }
  if (current == nullptr) return Status::Internal("agent " + agent_id + " has no current key");
  SHOKO_ASSIGN_OR_RETURN(evidence::PublicKey key,
                         evidence::PublicKey::FromRaw(current->public_key));
  return evidence::NoteVerifier(name, evidence::NoteKeyType::kCosignatureEd25519, key);
}

grpc::Status LogService::AddCosignature(grpc::ServerContext* context,
                                        const v1::AddCosignatureRequest* request,
                                        v1::AddCosignatureResponse* /*response*/) {
  Caller caller;
  if (grpc::Status s = authorization_.Admit(*context, Rpc::kAddCosignature, &caller); !s.ok()) {
    return s;
  }
  Result<std::optional<StoredCheckpoint>> cp = log_->Checkpoint(request->tree_size());
  if (!cp.ok()) return StoreError(cp.status());
  if (!*cp || request->tree_size() == 0) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "no checkpoint of tree size " + std::to_string(request->tree_size()));
  }
  Result<evidence::Note> note = evidence::ParseNote((*cp)->note);
  if (!note.ok()) return StoreError(note.status());
  // The line is read as the one signature of a note of the checkpoint's body.
  const std::string line(platform::TrimRight(request->signature_line()));
  Result<evidence::Note> cosigned = evidence::ParseNote(note->body + "\n" + line + "\n");
  if (!cosigned.ok() || cosigned->signatures.size() != 1) {
    return Invalid("signature_line: not one C2SP signature line" +
                   (cosigned.ok() ? std::string() : ": " + cosigned.status().message()));
  }
  const evidence::NoteSignature& signature = cosigned->signatures.front();
  Result<evidence::NoteVerifier> cosigner = CosignerKey(signature.name, caller);
  if (!cosigner.ok()) {
    if (cosigner.status().code() != Status::Code::kPermissionDenied) {
      return platform::ToGrpc(cosigner.status());
    }
    return Refuse(*context, "AddCosignature", "(" + caller.name + ")",
                  grpc::StatusCode::PERMISSION_DENIED, cosigner.status().message());
  }
  Result<uint64_t> timestamp = evidence::VerifyCosignature(note->body, signature, *cosigner);
  if (!timestamp.ok()) {
    return Refuse(*context, "AddCosignature", "(" + signature.name + ")",
                  grpc::StatusCode::PERMISSION_DENIED,
                  "the cosignature does not verify under the agent's current key: " +
                      timestamp.status().message());
  }
  Status kept = log_->AddCosignature(request->tree_size(), signature.name, signature.line,
                                     *timestamp, now_us_());
  return kept.ok() ? grpc::Status::OK : StoreError(kept);
}

}  // namespace shoko::store
