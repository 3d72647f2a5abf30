#include "store/ingest_service.h"

#include <condition_variable>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "evidence/chain.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "evidence/rotation.h"
#include "platform/digest.h"
#include "platform/grpc_tls.h"

namespace shoko::store {
namespace {

constexpr uint32_t kProtocolVersion = 1;

// Logs a refusal with who and why, and returns it as the stream's status.
// Control characters are replaced so that no peer can forge a log line.
grpc::Status Refuse(grpc::ServerContext* ctx, const std::string& agent, grpc::StatusCode code,
                    std::string why) {
  for (char& c : why) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  std::cerr << "shoko-store: refused upload from " << ctx->peer()
            << (agent.empty() ? "" : " agent " + agent) << ": " << why << std::endl;
  return grpc::Status(code, why);
}

grpc::Status FromStatus(grpc::ServerContext* ctx, const std::string& agent, const Status& s) {
  std::cerr << "shoko-store: ingest failed for " << ctx->peer() << " agent " << agent << ": "
            << s.message() << std::endl;
  return grpc::Status(grpc::StatusCode::INTERNAL, "store error: " + s.message());
}

}  // namespace

grpc::Status IngestService::Upload(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::UploadResponse, v1::UploadRequest>* stream) {
  // Backpressure: a store at its limit asks agents to come back later.
  struct Slot {
    std::atomic<int>& count;
    ~Slot() { --count; }
  } slot{streams_};
  if (++streams_ > max_streams_) {
    return grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        "store busy: " + std::to_string(max_streams_) + " uploads in progress; retry later");
  }
  v1::UploadRequest req;
  if (!stream->Read(&req)) return grpc::Status::OK;  // the client left before saying anything
  if (!req.has_hello()) {
    return Refuse(ctx, "", grpc::StatusCode::INVALID_ARGUMENT, "the first message must be a Hello");
  }
  const v1::Hello hello = req.hello();
  if (hello.protocol_version() != kProtocolVersion) {
    return Refuse(ctx, "", grpc::StatusCode::FAILED_PRECONDITION,
                  "protocol version " + std::to_string(hello.protocol_version()) +
                      " is not supported (this store speaks " + std::to_string(kProtocolVersion) +
                      ")");
  }
  // Ids are checked before anything logs them, so a peer cannot forge log lines.
  // A known agent may omit its key (an import of a later file); a new one may not.
  const bool has_key = !hello.key_id().empty() || !hello.public_key().empty();
  if (!platform::IsHexSha256(hello.agent_id()) ||
      (has_key && !platform::IsHexSha256(hello.key_id()))) {
    return Refuse(ctx, "", grpc::StatusCode::INVALID_ARGUMENT,
                  "Hello agent_id and key_id must be 64 lowercase hex digits");
  }
  std::optional<evidence::PublicKey> key;
  if (has_key) {
    auto parsed = evidence::PublicKey::FromRaw(hello.public_key());
    if (!parsed.ok()) {
      return Refuse(ctx, hello.agent_id(), grpc::StatusCode::INVALID_ARGUMENT,
                    "Hello public_key: " + parsed.status().message());
    }
    if (parsed->KeyId() != hello.key_id()) {
      return Refuse(ctx, hello.agent_id(), grpc::StatusCode::INVALID_ARGUMENT,
                    "Hello key_id does not match its public key");
    }
    key = *parsed;
  }
  const std::string& agent_id = hello.agent_id();
  // Who is calling: with TLS, the certificate decides what the stream may do.
  std::optional<platform::PeerIdentity> peer;
  if (require_identity_) {
    peer = platform::PeerIdentityOf(*ctx);
    if (!peer) {
      return Refuse(ctx, agent_id, grpc::StatusCode::UNAUTHENTICATED,
                    "uploads need a client certificate from the deployment CA");
    }
    if (peer->role == "agent" && peer->name != agent_id) {
      return Refuse(
          ctx, agent_id, grpc::StatusCode::PERMISSION_DENIED,
          "the certificate of agent " + peer->name + " cannot upload for agent " + agent_id);
    }
    if (peer->role != "agent" && peer->role != "importer") {
      return Refuse(ctx, agent_id, grpc::StatusCode::PERMISSION_DENIED,
                    "role " + peer->role + " (" + peer->name + ") may not upload evidence");
    }
  }
  auto agent = ledger_->FindAgent(agent_id);
  if (!agent.ok()) return FromStatus(ctx, agent_id, agent.status());
  if (!*agent) {
    // A new agent is registered on first contact only from its first key,
    // whose key_id is by definition its agent_id (design §3); with TLS only on
    // its own certificate, never by an importer.
    if (peer && peer->role != "agent") {
      return Refuse(ctx, agent_id, grpc::StatusCode::PERMISSION_DENIED,
                    "unknown agent: an importer may send only agents the store already knows");
    }
    if (!key || agent_id != hello.key_id()) {
      return Refuse(ctx, agent_id, grpc::StatusCode::PERMISSION_DENIED,
                    "unknown agent: a new agent must present its first key (key_id = agent_id)");
    }
    Status s = ledger_->RegisterAgent(agent_id, key->raw(), now_us_());
    if (s.ok()) {
      std::cerr << "shoko-store: registered new agent " << agent_id << " from " << ctx->peer()
                << std::endl;
    }
    // Registered now, by this stream or a concurrent one: look again.
    agent = ledger_->FindAgent(agent_id);
    if (!agent.ok()) return FromStatus(ctx, agent_id, agent.status());
    if (!*agent) return FromStatus(ctx, agent_id, s.ok() ? Status::Internal("agent vanished") : s);
  }
  if ((*agent)->state != "active") {
    return Refuse(ctx, agent_id, grpc::StatusCode::PERMISSION_DENIED,
                  "agent is " + (*agent)->state +
                      ((*agent)->state_reason.empty() ? "" : " (" + (*agent)->state_reason + ")"));
  }
  // A known agent may present a key it has not handed over to yet (the
  // rotation record is in this upload); each record is checked against the
  // key that may sign its seq.
  if (const AgentKey* k = (*agent)->Key(hello.key_id());
      key && k != nullptr && k->public_key != key->raw()) {
    return Refuse(ctx, agent_id, grpc::StatusCode::PERMISSION_DENIED,
                  "Hello key does not match the key registered under its key_id");
  }

  evidence::ChainHead head = (*agent)->head;
  v1::UploadResponse answer;
  answer.mutable_hello_ack()->set_durable_seq(head.seq);
  answer.mutable_hello_ack()->set_durable_digest(head.digest);
  if (!stream->Write(answer)) return grpc::Status::OK;

  // Records are verified here and committed by the committer together with
  // other streams' records; acks go out on their own thread as they become
  // durable, so reading, verifying and committing overlap.
  struct Pending {
    uint64_t ack_seq = 0;
    bool done = false;
    Status status;
  };
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::shared_ptr<Pending>> pending;
    bool input_done = false;
    Status failure;
  };
  auto shared = std::make_shared<Shared>();
  std::thread acker([shared, stream, ctx] {
    for (;;) {
      std::shared_ptr<Pending> p;
      {
        std::unique_lock<std::mutex> lock(shared->mu);
        shared->cv.wait(lock, [&] {
          return (!shared->pending.empty() && shared->pending.front()->done) ||
                 (shared->input_done && shared->pending.empty());
        });
        if (shared->pending.empty()) return;
        // One ack covers every record durable so far: fewer writes under load.
        do {
          p = shared->pending.front();
          shared->pending.pop_front();
        } while (p->status.ok() && !shared->pending.empty() && shared->pending.front()->done);
      }
      shared->cv.notify_all();  // the reader may be waiting for room
      if (!p->status.ok()) {
        {
          std::lock_guard<std::mutex> lock(shared->mu);
          if (shared->failure.ok()) shared->failure = p->status;
        }
        ctx->TryCancel();  // wake the reader; the client sees the stream end
        return;
      }
      v1::UploadResponse ack;
      ack.mutable_ack()->set_acked_seq(p->ack_seq);
      if (!stream->Write(ack)) return;
    }
  });
  // Ends the stream: waits until every accepted record is durable and acked.
  auto finish = [&](grpc::Status result) {
    {
      std::lock_guard<std::mutex> lock(shared->mu);
      shared->input_done = true;
    }
    shared->cv.notify_all();
    acker.join();
    std::lock_guard<std::mutex> lock(shared->mu);
    if (!shared->failure.ok()) {
      std::cerr << "shoko-store: upload from agent " << agent_id
                << " ended on a failed commit: " << shared->failure.message() << std::endl;
      return grpc::Status(grpc::StatusCode::ABORTED, "store: " + shared->failure.message());
    }
    return result;
  };
  auto enqueue = [&](uint64_t ack_seq, bool done) {
    auto p = std::make_shared<Pending>();
    p->ack_seq = ack_seq;
    p->done = done;
    std::unique_lock<std::mutex> lock(shared->mu);
    // A client that does not wait for acks is held back, not buffered.
    shared->cv.wait(lock, [&] { return shared->pending.size() < 4096; });
    shared->pending.push_back(p);
    lock.unlock();
    shared->cv.notify_all();
    return p;
  };

  std::map<std::string, evidence::PublicKey> keys;  // this agent's keys, parsed once
  while (stream->Read(&req)) {
    if (!req.has_envelope()) {
      return finish(Refuse(ctx, agent_id, grpc::StatusCode::INVALID_ARGUMENT,
                           "expected an envelope after the Hello"));
    }
    const v1::Envelope& envelope = req.envelope();
    const std::string after = "record after seq " + std::to_string(head.seq) + ": ";
    if (envelope.signatures_size() != 1) {
      return finish(Refuse(ctx, agent_id, grpc::StatusCode::INVALID_ARGUMENT,
                           after + "evidence envelope must carry exactly one signature, has " +
                               std::to_string(envelope.signatures_size())));
    }
    const AgentKey* signer = (*agent)->Key(envelope.signatures(0).keyid());
    if (signer == nullptr) {
      return finish(Refuse(ctx, agent_id, grpc::StatusCode::PERMISSION_DENIED,
                           after + "signed by a key that is not registered for this agent"));
    }
    auto cached = keys.find(signer->key_id);
    if (cached == keys.end()) {
      auto parsed = evidence::PublicKey::FromRaw(signer->public_key);
      if (!parsed.ok()) return finish(FromStatus(ctx, agent_id, parsed.status()));
      cached = keys.emplace(signer->key_id, *parsed).first;
    }
    // The signature is checked before anything reads the payload.
    Status verified = evidence::VerifyEvidenceEnvelope(envelope, cached->second);
    if (!verified.ok()) {
      return finish(
          Refuse(ctx, agent_id, grpc::StatusCode::INVALID_ARGUMENT, after + verified.message()));
    }
    auto ev = evidence::ParseEvidence(envelope.payload());
    if (!ev.ok()) {
      return finish(
          Refuse(ctx, agent_id, grpc::StatusCode::INVALID_ARGUMENT, after + ev.status().message()));
    }
    const uint64_t seq = ev->seq();
    const std::string where = "seq " + std::to_string(seq) + ": ";
    if (ev->agent_id() != agent_id || ev->key_id() != signer->key_id) {
      return finish(Refuse(ctx, agent_id, grpc::StatusCode::PERMISSION_DENIED,
                           where + "record names agent " + ev->agent_id() + " and key " +
                               ev->key_id() + ", not this stream's agent and its signing key"));
    }
    if (seq < signer->from_seq || seq > signer->until_seq) {
      return finish(
          Refuse(ctx, agent_id, grpc::StatusCode::PERMISSION_DENIED,
                 where + "key " + signer->key_id + " may sign only seq " +
                     std::to_string(signer->from_seq) + " to " +
                     (signer->until_seq == UINT64_MAX ? std::string("now")
                                                      : std::to_string(signer->until_seq))));
    }
    const std::string digest = evidence::RecordDigest(envelope.payload());
    const evidence::Link link = evidence::Classify(head, *ev);
    switch (link) {
      case evidence::Link::kGap:
        std::cerr << "shoko-store: agent " << agent_id << ": gap, seq " << head.seq + 1 << "-"
                  << seq - 1 << " never arrived; kept as a gap" << std::endl;
        [[fallthrough]];
      case evidence::Link::kNext: {
        LedgerAppend append;
        append.record.agent_id = agent_id;
        append.record.seq = seq;
        append.record.record_digest = digest;
        if (!envelope.SerializeToString(&append.record.envelope)) {
          return finish(FromStatus(ctx, agent_id, Status::Internal("cannot serialize envelope")));
        }
        append.record.received_at_us = now_us_();
        append.next_key = evidence::RotationTarget(*ev);
        if (append.next_key) {
          // Later records of this upload may already use the new key; the
          // ledger checks the same windows again as it commits.
          std::cerr << "shoko-store: agent " << agent_id << " rotates its key to "
                    << append.next_key->KeyId() << " from seq " << seq + 1 << std::endl;
          for (AgentKey& k : (*agent)->keys) {
            if (k.key_id == signer->key_id) k.until_seq = seq;
          }
          (*agent)->keys.push_back(
              {append.next_key->KeyId(), append.next_key->raw(), seq + 1, UINT64_MAX});
        }
        append.evidence = std::move(ev).value();
        head.seq = seq;
        head.digest = digest;
        auto p = enqueue(seq, false);
        committer_->Submit(std::move(append), [shared, p](Status s) {
          {
            std::lock_guard<std::mutex> lock(shared->mu);
            p->status = std::move(s);
            p->done = true;
          }
          shared->cv.notify_all();
        });
        break;
      }
      case evidence::Link::kAlreadyHeld: {
        auto held = ledger_->DigestAt(agent_id, seq);
        if (!held.ok()) return finish(FromStatus(ctx, agent_id, held.status()));
        if (!*held) {
          return finish(Refuse(ctx, agent_id, grpc::StatusCode::FAILED_PRECONDITION,
                               where +
                                   "falls in a gap the store recorded; a chain cannot be filled "
                                   "in behind its head"));
        }
        if (**held != digest) {
          // A second validly signed record at a held seq: keep it as evidence.
          std::string kept;
          envelope.SerializeToString(&kept);
          Status s = ledger_->RecordIncident(
              {agent_id, seq, "fork",
               "another validly signed record at a held seq, from " + ctx->peer(), now_us_(),
               kept});
          if (!s.ok()) return finish(FromStatus(ctx, agent_id, s));
          return finish(Refuse(ctx, agent_id, grpc::StatusCode::ALREADY_EXISTS,
                               where + "fork: the store holds another record at this seq"));
        }
        enqueue(head.seq, true);  // a resend of what the store holds: ack again
        break;
      }
      case evidence::Link::kBrokenChain:
        return finish(Refuse(ctx, agent_id, grpc::StatusCode::INVALID_ARGUMENT,
                             where + "broken chain: prev_digest is not the digest of seq " +
                                 std::to_string(head.seq)));
    }
  }
  return finish(grpc::Status::OK);
}

}  // namespace shoko::store
