#include "agent/witness.h"

#include <charconv>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "agent/log.h"
#include "evidence/log_leaf.h"
#include "evidence/merkle.h"
#include "platform/local_files.h"

namespace shoko::agent {
namespace {

// Acknowledged records judged per outbox read: a range request is one page.
constexpr size_t kPage = 1024;
// Outbox meta: the largest checkpoint this agent cosigned, and per failure
// the incident recorded last (so a failure that persists is recorded once).
constexpr char kCosignedMeta[] = "witness_cosigned_size";
constexpr char kIncidentMetaPrefix[] = "witness_incident.";

// The log's own trouble, not a judgement on what it holds: nothing is judged,
// the round is tried again.
bool CouldNotAsk(const Status& s) {
  return s.code() == Status::Code::kUnavailable || s.code() == Status::Code::kInternal;
}

std::vector<std::pair<uint64_t, uint64_t>> ToRanges(const std::vector<uint64_t>& seqs) {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (uint64_t seq : seqs) {
    if (!ranges.empty() && ranges.back().second + 1 == seq) {
      ranges.back().second = seq;
    } else {
      ranges.emplace_back(seq, seq);
    }
  }
  return ranges;
}

std::string RangesText(const std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
  std::string text;
  for (const auto& [from, to] : ranges) {
    if (!text.empty()) text += ", ";
    text += std::to_string(from);
    if (to != from) text += "-" + std::to_string(to);
  }
  return text;
}

nlohmann::json IncidentFacts(const WitnessIncident& incident) {
  nlohmann::json seqs = nlohmann::json::array();
  for (const auto& [from, to] : incident.seqs) seqs.push_back({{"from_seq", from}, {"to_seq", to}});
  return {{"failure", incident.failure},
          {"detail", incident.detail},
          {"seqs", std::move(seqs)},
          {"checkpoint_size", incident.checkpoint_size},
          {"verified_checkpoint_size", incident.verified_size}};
}

// What makes an incident the same one again: a checkpoint's failure by the
// last checkpoint verified before it, a record's by the first record kept.
std::string IncidentKey(const WitnessIncident& incident) {
  if (incident.failure == kCheckpointSignatureFailure ||
      incident.failure == kInconsistentCheckpointFailure || incident.seqs.empty()) {
    return incident.failure + " after size " + std::to_string(incident.verified_size);
  }
  return incident.failure + " from seq " + std::to_string(incident.seqs.front().first);
}

// Whether `proof` shows `record` of `agent_id` as a leaf of `checkpoint`.
Status VerifyRecordInclusion(const std::string& agent_id, const OutboxRecord& record,
                             const v1::InclusionProof& proof,
                             const evidence::Checkpoint& checkpoint) {
  if (proof.tree_size() != checkpoint.tree_size) {
    return Status::Corruption("a proof against tree size " + std::to_string(proof.tree_size()) +
                              ", not the checkpoint's " + std::to_string(checkpoint.tree_size));
  }
  v1::Envelope envelope;
  if (!envelope.ParseFromString(record.envelope)) {
    return Status::Internal("outbox record seq " + std::to_string(record.seq) +
                            " is not a valid envelope");
  }
  const std::string signature_digest = evidence::SignatureDigest(envelope);
  if (proof.leaf().record_digest() != record.digest ||
      proof.leaf().signature_digest() != signature_digest) {
    return Status::Corruption("the log's leaf at index " +
                              std::to_string(proof.leaf().leaf_index()) +
                              " is another record than the agent's");
  }
  SHOKO_ASSIGN_OR_RETURN(const std::string input,
                         evidence::LeafInput({agent_id, record.seq, record.digest, signature_digest,
                                              proof.leaf().received_at_us()}));
  const std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
  Status verified = evidence::merkle::VerifyInclusion(
      proof.leaf().leaf_index(), checkpoint.tree_size, evidence::merkle::LeafHash(input), hashes,
      checkpoint.root_hash);
  if (!verified.ok()) return Status::Corruption(verified.message());
  return Status::OK();
}

}  // namespace

Result<std::optional<evidence::NoteVerifier>> PinnedLogKey(const AgentConfig& config,
                                                           const StateDir& dir) {
  const bool configured = !config.store_log_key.empty();
  const std::string path = configured ? config.store_log_key : dir.log_key_file();
  const std::string where = configured ? config.source + ": store.log_key: " + path : path;
  auto text = platform::ReadLocalFile(path, 64 << 10);
  if (!text.ok()) {
    if (!configured && text.status().IsNotFound()) return std::optional<evidence::NoteVerifier>();
    return Status::InvalidArgument(where + ": " + text.status().message());
  }
  auto key = evidence::NoteVerifier::Parse(*text);
  if (!key.ok()) return Status::InvalidArgument(where + ": " + key.status().message());
  if (key->type() != evidence::NoteKeyType::kEd25519) {
    return Status::InvalidArgument(where + ": not a log key (a C2SP Ed25519 verifier key, type 1)");
  }
  return std::optional<evidence::NoteVerifier>(std::move(key).value());
}

Witness::Witness(evidence::NoteVerifier log_key, std::string checkpoint_file, std::string agent_id,
                 Outbox* outbox, Recorder* recorder, std::chrono::seconds inclusion_timeout)
    : log_key_(std::move(log_key)),
      checkpoint_file_(std::move(checkpoint_file)),
      agent_id_(std::move(agent_id)),
      outbox_(outbox),
      recorder_(recorder),
      inclusion_timeout_(inclusion_timeout) {}

Result<WitnessRound> Witness::Check(TransparencyLogClient& log, const evidence::SigningKey& key,
                                    int64_t now_us) {
  WitnessRound round;
  auto note = log.LatestCheckpoint();
  if (!note.ok() && !note.status().IsNotFound()) return note.status();
  if (!note.ok()) {
    const std::optional<evidence::Checkpoint> verified = LoadVerified();
    if (verified && verified->tree_size > 0) {
      // The log lost what it signed and this agent verified: a rollback.
      round.incidents.push_back({kInconsistentCheckpointFailure,
                                 "the store shows no checkpoint, after checkpoint " +
                                     std::to_string(verified->tree_size) +
                                     " was verified: " + note.status().message(),
                                 {},
                                 0,
                                 verified->tree_size});
    } else {
      // No checkpoint yet: nothing is proven, and only the bound is judged.
      SHOKO_RETURN_IF_ERROR(ProveInclusion(log, nullptr, now_us, &round));
    }
  } else {
    SHOKO_ASSIGN_OR_RETURN(const std::optional<evidence::Checkpoint> checkpoint,
                           Advance(log, *note, key, now_us, &round));
    if (checkpoint) SHOKO_RETURN_IF_ERROR(ProveInclusion(log, &*checkpoint, now_us, &round));
  }
  round.awaiting = outbox_->AwaitingInclusion();
  for (WitnessIncident& incident : round.incidents) {
    if (incident.seqs.empty()) {  // a checkpoint's failure keeps every record it would judge
      SHOKO_ASSIGN_OR_RETURN(const std::vector<uint64_t> kept, outbox_->AckedSeqs());
      incident.seqs = ToRanges(kept);
    }
    SHOKO_RETURN_IF_ERROR(Report(incident, key, now_us));
  }
  return round;
}

std::optional<evidence::Checkpoint> Witness::LoadVerified() const {
  auto text = platform::ReadLocalFile(checkpoint_file_, evidence::kMaxNoteBytes);
  if (!text.ok()) {
    if (!text.status().IsNotFound()) Log("WARNING: " + text.status().message());
    return std::nullopt;
  }
  auto checkpoint = evidence::OpenCheckpoint(*text, log_key_);
  if (!checkpoint.ok()) {
    // Only this host could have damaged it; the witness starts over from the
    // next checkpoint the store shows rather than stop deleting for good.
    Log("WARNING: " + checkpoint_file_ + ": " + checkpoint.status().message() +
        "; the witness starts over from the store's next checkpoint");
    return std::nullopt;
  }
  return std::move(checkpoint).value();
}

Result<std::optional<evidence::Checkpoint>> Witness::Advance(TransparencyLogClient& log,
                                                             const std::string& note,
                                                             const evidence::SigningKey& key,
                                                             int64_t now_us, WitnessRound* round) {
  using Judged = std::optional<evidence::Checkpoint>;
  const std::optional<evidence::Checkpoint> verified = LoadVerified();
  const uint64_t verified_size = verified ? verified->tree_size : 0;
  auto next = evidence::OpenCheckpoint(note, log_key_);
  if (!next.ok()) {
    round->incidents.push_back(
        {kCheckpointSignatureFailure,
         "the store's latest checkpoint does not verify with the pinned log key " +
             log_key_.name() + ": " + next.status().message(),
         {},
         0,
         verified_size});
    return Judged();
  }
  if (verified) {
    Status consistent = CheckConsistent(log, *verified, *next);
    if (!consistent.ok() && consistent.code() != Status::Code::kCorruption) return consistent;
    if (!consistent.ok()) {
      round->incidents.push_back({kInconsistentCheckpointFailure,
                                  consistent.message(),
                                  {},
                                  next->tree_size,
                                  verified_size});
      return Judged();
    }
    if (next->tree_size < verified_size) {
      Log("the store shows checkpoint " + std::to_string(next->tree_size) + ", older than " +
          std::to_string(verified_size) + " verified before (consistent with it); waiting");
      return Judged();
    }
  }
  if (next->tree_size > verified_size || !verified) {
    // Replaced atomically: a crash leaves the old checkpoint or the new, both verified.
    SHOKO_RETURN_IF_ERROR(platform::WriteFileAtomic(checkpoint_file_, note, 0644));
  }
  round->checkpoint_size = next->tree_size;
  Cosign(log, *next, key, now_us, round);
  return Judged(std::move(next).value());
}

Status Witness::CheckConsistent(TransparencyLogClient& log, const evidence::Checkpoint& verified,
                                const evidence::Checkpoint& next) {
  const bool grows = next.tree_size >= verified.tree_size;
  const evidence::Checkpoint& small = grows ? verified : next;
  const evidence::Checkpoint& large = grows ? next : verified;
  const std::string sizes =
      std::to_string(small.tree_size) + " and " + std::to_string(large.tree_size);
  if (small.tree_size == large.tree_size) {
    if (small.root_hash == large.root_hash) return Status::OK();
    return Status::Corruption("two checkpoints of size " + std::to_string(small.tree_size) +
                              " with different roots: the store shows another log than before");
  }
  if (small.tree_size == 0) return Status::OK();
  auto proof = log.ConsistencyProof(small.tree_size, large.tree_size);
  if (!proof.ok()) {
    if (CouldNotAsk(proof.status())) return proof.status();
    return Status::Corruption("the store gives no consistency proof between checkpoints " + sizes +
                              ": " + proof.status().message());
  }
  Status s = evidence::merkle::VerifyConsistency(small.tree_size, large.tree_size, small.root_hash,
                                                 large.root_hash, *proof);
  if (!s.ok()) {
    return Status::Corruption("checkpoints " + sizes + " are not consistent: " + s.message());
  }
  return Status::OK();
}

void Witness::Cosign(TransparencyLogClient& log, const evidence::Checkpoint& checkpoint,
                     const evidence::SigningKey& key, int64_t now_us, WitnessRound* round) {
  auto done = outbox_->Meta(kCosignedMeta);
  uint64_t cosigned = 0;
  if (done.ok()) std::from_chars(done->data(), done->data() + done->size(), cosigned);
  if (checkpoint.tree_size == 0 || cosigned >= checkpoint.tree_size) return;
  const std::string size = std::to_string(checkpoint.tree_size);
  auto line = evidence::Cosign(checkpoint.body, evidence::AgentCosignerName(agent_id_), key,
                               static_cast<uint64_t>(now_us / 1000000));
  Status s = line.ok() ? log.AddCosignature(checkpoint.tree_size, *line) : line.status();
  if (s.ok()) s = outbox_->SetMeta(kCosignedMeta, size);
  if (!s.ok()) {
    // The store keeps cosignatures for others to check; it missing one is
    // its loss, not the agent's evidence's.
    Log("WARNING: no cosignature of checkpoint " + size + ": " + s.message());
    return;
  }
  round->cosigned = true;
}

Status Witness::JudgeRun(TransparencyLogClient& log, const evidence::Checkpoint* checkpoint,
                         const std::vector<OutboxRecord>& run, int64_t now_us,
                         InclusionTally* tally) {
  std::vector<v1::InclusionProof> proofs;
  if (checkpoint != nullptr) {
    v1::AgentSeqRange range;
    range.set_agent_id(agent_id_);
    range.set_first_seq(run.front().seq);
    range.set_last_seq(run.back().seq);
    auto answer = log.InclusionProofs(range, checkpoint->tree_size);
    if (!answer.ok() && CouldNotAsk(answer.status())) return answer.status();
    if (answer.ok()) {
      proofs = std::move(answer).value();
    } else {
      tally->refusal = answer.status().message();  // judged as if nothing were included
    }
  }
  std::map<uint64_t, const v1::InclusionProof*> by_seq;
  for (const v1::InclusionProof& p : proofs) {
    if (p.leaf().agent_id() == agent_id_) by_seq.emplace(p.leaf().seq(), &p);
  }
  const int64_t bound_us = static_cast<int64_t>(inclusion_timeout_.count()) * 1000000;
  for (const OutboxRecord& r : run) {
    auto it = by_seq.find(r.seq);
    if (it == by_seq.end()) {
      if (now_us - r.acked_at_us >= bound_us) tally->overdue.push_back(r.seq);
      continue;
    }
    Status s = VerifyRecordInclusion(agent_id_, r, *it->second, *checkpoint);
    if (s.code() == Status::Code::kInternal) return s;
    if (s.ok()) {
      tally->proven.push_back(r.seq);
    } else {
      tally->failed.push_back(r.seq);
      if (tally->failure.empty())
        tally->failure = "seq " + std::to_string(r.seq) + ": " + s.message();
    }
  }
  return Status::OK();
}

Status Witness::ProveInclusion(TransparencyLogClient& log, const evidence::Checkpoint* checkpoint,
                               int64_t now_us, WitnessRound* round) {
  InclusionTally tally;
  if (checkpoint == nullptr) tally.refusal = "the store has signed no checkpoint yet";
  for (uint64_t cursor = 0;;) {
    SHOKO_ASSIGN_OR_RETURN(std::vector<OutboxRecord> rows, outbox_->AckedAfter(cursor, kPage));
    if (rows.empty()) break;
    cursor = rows.back().seq;
    // One request per run of consecutive seqs.
    for (size_t begin = 0, end = 1; begin < rows.size(); begin = end++) {
      while (end < rows.size() && rows[end].seq == rows[end - 1].seq + 1) ++end;
      const std::vector<OutboxRecord> run(std::make_move_iterator(rows.begin() + begin),
                                          std::make_move_iterator(rows.begin() + end));
      SHOKO_RETURN_IF_ERROR(JudgeRun(log, checkpoint, run, now_us, &tally));
    }
  }
  SHOKO_RETURN_IF_ERROR(outbox_->Delete(tally.proven));
  round->included = tally.proven.size();
  const uint64_t size = checkpoint != nullptr ? checkpoint->tree_size : 0;
  const std::string in = checkpoint != nullptr ? " in checkpoint " + std::to_string(size) : "";
  if (!tally.failed.empty()) {
    round->incidents.push_back({kInclusionProofFailure,
                                "an inclusion proof" + in + " does not hold: " + tally.failure,
                                ToRanges(tally.failed), size, size});
  }
  if (!tally.overdue.empty()) {
    round->incidents.push_back(
        {kNotIncludedFailure,
         "acknowledged more than " + std::to_string(inclusion_timeout_.count()) +
             " s ago and not included" + in +
             (tally.refusal.empty() ? "" : " (no proofs: " + tally.refusal + ")"),
         ToRanges(tally.overdue), size, size});
  }
  return Status::OK();
}

Status Witness::Report(const WitnessIncident& incident, const evidence::SigningKey& key,
                       int64_t now_us) {
  Log("WITNESS INCIDENT " + incident.failure + ": " + incident.detail +
      (incident.seqs.empty() ? "" : "; seqs " + RangesText(incident.seqs)) + " kept in the outbox");
  const std::string meta = std::string(kIncidentMetaPrefix) + incident.failure;
  const std::string same = IncidentKey(incident);
  SHOKO_ASSIGN_OR_RETURN(const std::string last, outbox_->Meta(meta));
  if (last == same) return Status::OK();  // recorded when it first happened
  SHOKO_RETURN_IF_ERROR(
      recorder_
          ->RecordLifecycle(kWitnessIncidentEvent, IncidentFacts(incident), key, now_us, v1::FAIL)
          .status());
  return outbox_->SetMeta(meta, same);
}

}  // namespace shoko::agent
