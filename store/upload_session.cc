#include "store/upload_session.h"

#include "evidence/chain.h"
#include "evidence/envelope.h"
#include "evidence/rotation.h"
#include "platform/digest.h"
#include "store/store_log.h"

namespace shoko::store {
namespace {

constexpr uint32_t kProtocolVersion = 1;

}  // namespace

grpc::Status UploadSession::Run() {
  v1::UploadRequest req;
  if (!stream_->Read(&req)) return grpc::Status::OK;  // the client left before saying anything
  if (!req.has_hello()) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "the first message must be a Hello");
  }
  hello_ = req.hello();
  if (grpc::Status s = CheckHello(); !s.ok()) return s;
  if (grpc::Status s = Authorize(); !s.ok()) return s;
  if (grpc::Status s = AdmitAgent(); !s.ok()) return s;
  v1::UploadResponse answer;
  answer.mutable_hello_ack()->set_durable_seq(agent_.head.seq);
  answer.mutable_hello_ack()->set_durable_digest(agent_.head.digest);
  if (!stream_->Write(answer)) return grpc::Status::OK;
  AckQueue acks(
      [stream = stream_](uint64_t seq) {
        v1::UploadResponse ack;
        ack.mutable_ack()->set_acked_seq(seq);
        return stream->Write(ack);
      },
      [context = context_] { context->TryCancel(); });
  grpc::Status received = ReceiveRecords(&acks);
  return Finish(std::move(received), &acks);
}

grpc::Status UploadSession::CheckHello() {
  if (hello_.protocol_version() != kProtocolVersion) {
    return Refuse(grpc::StatusCode::FAILED_PRECONDITION,
                  "protocol version " + std::to_string(hello_.protocol_version()) +
                      " is not supported (this store speaks " + std::to_string(kProtocolVersion) +
                      ")");
  }
  // Ids are checked before anything logs them, so a peer cannot forge log lines.
  // A known agent may omit its key (an import of a later file); a new one may not.
  const bool has_key = !hello_.key_id().empty() || !hello_.public_key().empty();
  if (!platform::IsHexSha256(agent_id()) || (has_key && !platform::IsHexSha256(hello_.key_id()))) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT,
                  "Hello agent_id and key_id must be 64 lowercase hex digits");
  }
  subject_ = "agent " + agent_id();
  if (!has_key) return grpc::Status::OK;
  auto parsed = evidence::PublicKey::FromRaw(hello_.public_key());
  if (!parsed.ok()) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT,
                  "Hello public_key: " + parsed.status().message());
  }
  if (parsed->KeyId() != hello_.key_id()) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "Hello key_id does not match its public key");
  }
  hello_key_ = *parsed;
  return grpc::Status::OK;
}

grpc::Status UploadSession::Authorize() {
  if (grpc::Status s = upload_.authorization->Admit(*context_, Rpc::kUpload, &caller_); !s.ok()) {
    return s;
  }
  if (caller_.reach == Reach::kOwnAgent && caller_.name != agent_id()) {
    return Refuse(
        grpc::StatusCode::PERMISSION_DENIED,
        "the certificate of agent " + caller_.name + " cannot upload for agent " + agent_id());
  }
  return grpc::Status::OK;
}

grpc::Status UploadSession::AdmitAgent() {
  auto agent = upload_.ledger->FindAgent(agent_id());
  if (!agent.ok()) return StoreError(agent.status());
  if (!*agent) {
    if (grpc::Status s = RegisterAgent(&*agent); !s.ok()) return s;
  }
  if ((*agent)->state != kAgentActive) {
    return Refuse(grpc::StatusCode::PERMISSION_DENIED,
                  "agent is " + (*agent)->state +
                      ((*agent)->state_reason.empty() ? "" : " (" + (*agent)->state_reason + ")"));
  }
  // A known agent may present a key it has not handed over to yet (the
  // rotation record is in this upload); each record is checked against the
  // key that may sign its seq.
  if (const AgentKey* k = (*agent)->Key(hello_.key_id());
      hello_key_ && k != nullptr && k->public_key != hello_key_->raw()) {
    return Refuse(grpc::StatusCode::PERMISSION_DENIED,
                  "Hello key does not match the key registered under its key_id");
  }
  agent_ = std::move(**agent);
  return grpc::Status::OK;
}

grpc::Status UploadSession::RegisterAgent(std::optional<AgentEntry>* agent) {
  // A new agent is registered on first contact only from its first key, whose
  // key_id is by definition its agent_id (docs/evidence-format.md, "Identity:
  // key_id and agent_id"); with TLS only on its own certificate, never by an
  // importer.
  if (caller_.reach == Reach::kKnownAgents) {
    return Refuse(grpc::StatusCode::PERMISSION_DENIED,
                  "unknown agent: an importer may send only agents the store already knows");
  }
  if (!hello_key_ || agent_id() != hello_.key_id()) {
    return Refuse(grpc::StatusCode::PERMISSION_DENIED,
                  "unknown agent: a new agent must present its first key (key_id = agent_id)");
  }
  Status registered =
      upload_.ledger->RegisterAgent(agent_id(), hello_key_->raw(), upload_.now_us());
  if (registered.ok()) Log("registered new agent " + agent_id() + " from " + context_->peer());
  // Registered now, by this stream or a concurrent one: look again.
  auto again = upload_.ledger->FindAgent(agent_id());
  if (!again.ok()) return StoreError(again.status());
  if (!*again) {
    return StoreError(registered.ok() ? Status::Internal("agent vanished") : registered);
  }
  *agent = std::move(*again);
  return grpc::Status::OK;
}

grpc::Status UploadSession::ReceiveRecords(AckQueue* acks) {
  v1::UploadRequest req;
  while (stream_->Read(&req)) {
    if (!req.has_envelope()) {
      return Refuse(grpc::StatusCode::INVALID_ARGUMENT, "expected an envelope after the Hello");
    }
    if (grpc::Status s = Receive(req.envelope(), acks); !s.ok()) return s;
  }
  return grpc::Status::OK;
}

grpc::Status UploadSession::Receive(const v1::Envelope& envelope, AckQueue* acks) {
  v1::Evidence ev;
  if (grpc::Status s = Verify(envelope, &ev); !s.ok()) return s;
  const std::string digest = evidence::RecordDigest(envelope.payload());
  const evidence::ChainHead& head = agent_.head;
  switch (evidence::Classify(head, ev)) {
    case evidence::Link::kGap:
      Log("agent " + agent_id() + ": gap, seq " + std::to_string(head.seq + 1) + "-" +
          std::to_string(ev.seq() - 1) + " never arrived; kept as a gap");
      [[fallthrough]];
    case evidence::Link::kNext:
      return Accept(envelope, std::move(ev), digest, acks);
    case evidence::Link::kAlreadyHeld:
      return AnswerHeld(envelope, ev.seq(), digest, acks);
    case evidence::Link::kBrokenChain:
      return Refuse(grpc::StatusCode::INVALID_ARGUMENT,
                    "seq " + std::to_string(ev.seq()) +
                        ": broken chain: prev_digest is not the digest of seq " +
                        std::to_string(head.seq));
  }
  return grpc::Status::OK;
}

grpc::Status UploadSession::Verify(const v1::Envelope& envelope, v1::Evidence* ev) {
  const std::string after = "record after seq " + std::to_string(agent_.head.seq) + ": ";
  if (envelope.signatures_size() != 1) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT,
                  after + "evidence envelope must carry exactly one signature, has " +
                      std::to_string(envelope.signatures_size()));
  }
  const AgentKey* signer = agent_.Key(envelope.signatures(0).keyid());
  if (signer == nullptr) {
    return Refuse(grpc::StatusCode::PERMISSION_DENIED,
                  after + "signed by a key that is not registered for this agent");
  }
  auto key = KeyOf(*signer);
  if (!key.ok()) return StoreError(key.status());
  // The signature is checked before anything reads the payload.
  if (Status verified = evidence::VerifyEvidenceEnvelope(envelope, **key); !verified.ok()) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, after + verified.message());
  }
  auto parsed = evidence::ParseEvidence(envelope.payload());
  if (!parsed.ok()) {
    return Refuse(grpc::StatusCode::INVALID_ARGUMENT, after + parsed.status().message());
  }
  const uint64_t seq = parsed->seq();
  const std::string where = "seq " + std::to_string(seq) + ": ";
  if (parsed->agent_id() != agent_id() || parsed->key_id() != signer->key_id) {
    return Refuse(grpc::StatusCode::PERMISSION_DENIED,
                  where + "record names agent " + parsed->agent_id() + " and key " +
                      parsed->key_id() + ", not this stream's agent and its signing key");
  }
  if (seq < signer->from_seq || seq > signer->until_seq) {
    return Refuse(grpc::StatusCode::PERMISSION_DENIED,
                  where + "key " + signer->key_id + " may sign only seq " +
                      std::to_string(signer->from_seq) + " to " +
                      (signer->until_seq == UINT64_MAX ? std::string("now")
                                                       : std::to_string(signer->until_seq)));
  }
  *ev = std::move(parsed).value();
  return grpc::Status::OK;
}

grpc::Status UploadSession::Accept(const v1::Envelope& envelope, v1::Evidence ev,
                                   const std::string& digest, AckQueue* acks) {
  LedgerAppend append;
  append.record.agent_id = agent_id();
  append.record.seq = ev.seq();
  append.record.record_digest = digest;
  if (!envelope.SerializeToString(&append.record.envelope)) {
    return StoreError(Status::Internal("cannot serialize envelope"));
  }
  append.record.received_at_us = upload_.now_us();
  append.next_key = evidence::RotationTarget(ev);
  if (append.next_key) {
    // Later records of this upload may already use the new key; the ledger
    // checks the same windows again as it commits.
    Log("agent " + agent_id() + " rotates its key to " + append.next_key->KeyId() + " from seq " +
        std::to_string(ev.seq() + 1));
    agent_.HandOver(ev.key_id(), ev.seq(), *append.next_key);
  }
  agent_.head = {ev.seq(), digest};
  append.evidence = std::move(ev);
  std::function<void(Status)> committed = acks->Expect(agent_.head.seq);
  upload_.committer->Submit(std::move(append), std::move(committed));
  return grpc::Status::OK;
}

grpc::Status UploadSession::AnswerHeld(const v1::Envelope& envelope, uint64_t seq,
                                       const std::string& digest, AckQueue* acks) {
  auto held = upload_.ledger->DigestAt(agent_id(), seq);
  if (!held.ok()) return StoreError(held.status());
  if (!*held) {
    return Refuse(grpc::StatusCode::FAILED_PRECONDITION,
                  "seq " + std::to_string(seq) +
                      ": falls in a gap the store recorded; a chain cannot be filled in behind "
                      "its head");
  }
  if (**held != digest) return RecordFork(envelope, seq);
  acks->AckHeld(agent_.head.seq);  // a resend of what the store holds: ack again
  return grpc::Status::OK;
}

grpc::Status UploadSession::RecordFork(const v1::Envelope& envelope, uint64_t seq) {
  // A second validly signed record at a held seq: keep it as evidence.
  Incident fork{agent_id(),
                seq,
                std::string(kForkIncident),
                "another validly signed record at a held seq, from " + context_->peer(),
                upload_.now_us(),
                ""};
  envelope.SerializeToString(&fork.envelope);
  if (Status s = upload_.ledger->RecordIncident(fork); !s.ok()) return StoreError(s);
  return Refuse(
      grpc::StatusCode::ALREADY_EXISTS,
      "seq " + std::to_string(seq) + ": fork: the store holds another record at this seq");
}

grpc::Status UploadSession::Finish(grpc::Status result, AckQueue* acks) {
  // Waits until every accepted record is durable and acked.
  const Status failure = acks->Finish();
  if (failure.ok()) return result;
  Log("upload from agent " + agent_id() + " ended on a failed commit: " + failure.message());
  return grpc::Status(grpc::StatusCode::ABORTED, "store: " + failure.message());
}

Result<const evidence::PublicKey*> UploadSession::KeyOf(const AgentKey& signer) {
  auto cached = keys_.find(signer.key_id);
  if (cached == keys_.end()) {
    SHOKO_ASSIGN_OR_RETURN(evidence::PublicKey key,
                           evidence::PublicKey::FromRaw(signer.public_key));
    cached = keys_.emplace(signer.key_id, std::move(key)).first;
  }
  return &cached->second;
}

grpc::Status UploadSession::Refuse(grpc::StatusCode code, std::string why) {
  return store::Refuse(*context_, "upload", subject_, code, std::move(why));
}

grpc::Status UploadSession::StoreError(const Status& s) {
  Log("ingest failed for " + context_->peer() + " " + subject_ + ": " + s.message());
  return grpc::Status(grpc::StatusCode::INTERNAL, "store error: " + s.message());
}

}  // namespace shoko::store
