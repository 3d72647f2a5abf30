// Every agent a witness of the store's log (docs/agent-state.md, "The
// witness"): before records the store acknowledged leave the outbox, the
// agent verifies their inclusion in a checkpoint signed by the pinned log key,
// checks that each new checkpoint is consistent with the last one it verified,
// cosigns what it verified, and records an incident for whatever does not hold.
#ifndef SHOKO_AGENT_WITNESS_H_
#define SHOKO_AGENT_WITNESS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/config.h"
#include "agent/outbox.h"
#include "agent/recorder.h"
#include "agent/state_dir.h"
#include "agent/transparency_log.h"
#include "evidence/keys.h"
#include "evidence/note.h"
#include "platform/status.h"

namespace shoko::agent {

// The log key the agent pins: the file the config's store.log_key names, else
// the one `enroll` saved in the state directory; none when neither exists.
// A file that is not a C2SP Ed25519 verifier key is InvalidArgument naming it.
Result<std::optional<evidence::NoteVerifier>> PinnedLogKey(const AgentConfig& config,
                                                           const StateDir& dir);

// The incident record's event: agent.lifecycle.witness_incident.
inline constexpr char kWitnessIncidentEvent[] = "witness_incident";

// What failed, as an incident record names it (docs/evidence-format.md,
// "Witness incidents").
inline constexpr char kCheckpointSignatureFailure[] = "checkpoint_signature";
inline constexpr char kInconsistentCheckpointFailure[] = "inconsistent_checkpoint";
inline constexpr char kInclusionProofFailure[] = "inclusion_proof";
inline constexpr char kNotIncludedFailure[] = "not_included";

// One failure the witness found, recorded as agent.lifecycle.witness_incident.
struct WitnessIncident {
  std::string failure;                              // one of the k…Failure names
  std::string detail;                               // what did not hold, in words
  std::vector<std::pair<uint64_t, uint64_t>> seqs;  // the records kept, as ranges
  uint64_t checkpoint_size = 0;                     // the checkpoint judged (0: none)
  uint64_t verified_size = 0;                       // the last checkpoint verified before it
};

// How one round went.
struct WitnessRound {
  uint64_t checkpoint_size = 0;  // the checkpoint verified this round; 0: none
  bool cosigned = false;         // this round cosigned it
  uint64_t included = 0;         // records proven included, and deleted
  uint64_t awaiting = 0;         // acknowledged records still in the outbox
  std::vector<WitnessIncident> incidents;
};

class Witness {
 public:
  // Witnesses the log of `log_key` for agent `agent_id`, whose outbox and
  // recorder are those given, keeping the last verified checkpoint in
  // `checkpoint_file`. A record not included `inclusion_timeout` after the
  // store acknowledged it is an incident.
  Witness(evidence::NoteVerifier log_key, std::string checkpoint_file, std::string agent_id,
          Outbox* outbox, Recorder* recorder, std::chrono::seconds inclusion_timeout);

  // One round against `log`: the latest checkpoint verified (signature,
  // consistency with the last one verified, which it then replaces) and
  // cosigned with `key`; each acknowledged record's inclusion proof verified,
  // and the record deleted once it is. Every failure stays in the outbox,
  // becomes an incident (recorded once, logged each time) and is listed in
  // the round. Errors: the log could not be asked (Unavailable and the like,
  // nothing judged) or the outbox failed.
  Result<WitnessRound> Check(TransparencyLogClient& log, const evidence::SigningKey& key,
                             int64_t now_us);

  const evidence::NoteVerifier& log_key() const { return log_key_; }

 private:
  // The latest checkpoint (`note`) if it verifies and holds with the last one;
  // nullopt when it is not to be judged against (an incident, added to
  // `round`, or an older but consistent view). Saves and cosigns a new one.
  Result<std::optional<evidence::Checkpoint>> Advance(TransparencyLogClient& log,
                                                      const std::string& note,
                                                      const evidence::SigningKey& key,
                                                      int64_t now_us, WitnessRound* round);
  std::optional<evidence::Checkpoint> LoadVerified() const;
  // OK when `next` extends (or equals) `verified`; Corruption saying why
  // not; the log's own errors when it could not be asked.
  Status CheckConsistent(TransparencyLogClient& log, const evidence::Checkpoint& verified,
                         const evidence::Checkpoint& next);
  void Cosign(TransparencyLogClient& log, const evidence::Checkpoint& checkpoint,
              const evidence::SigningKey& key, int64_t now_us, WitnessRound* round);
  // What the inclusion proofs of one round showed.
  struct InclusionTally {
    std::vector<uint64_t> proven;   // included: deleted
    std::vector<uint64_t> failed;   // a proof that does not hold
    std::vector<uint64_t> overdue;  // absent past the bound
    std::string failure;            // the first failed proof, in words
    std::string refusal;            // why the log gave no proofs, if it refused
  };
  // Judges `run`, records of consecutive seqs, with one request for proofs
  // (none without a checkpoint).
  Status JudgeRun(TransparencyLogClient& log, const evidence::Checkpoint* checkpoint,
                  const std::vector<OutboxRecord>& run, int64_t now_us, InclusionTally* tally);
  // Verifies the acknowledged records' proofs against `checkpoint` and
  // deletes the records proven; the others stay. Without a checkpoint (the
  // store has signed none yet) only the bound is judged.
  Status ProveInclusion(TransparencyLogClient& log, const evidence::Checkpoint* checkpoint,
                        int64_t now_us, WitnessRound* round);
  // Records `incident` (unless the same was recorded before) and logs it.
  Status Report(const WitnessIncident& incident, const evidence::SigningKey& key, int64_t now_us);

  const evidence::NoteVerifier log_key_;
  const std::string checkpoint_file_;
  const std::string agent_id_;
  Outbox* outbox_;
  Recorder* recorder_;
  const std::chrono::seconds inclusion_timeout_;
};

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_WITNESS_H_
