#include "evidence/chain_verifier.h"

#include <algorithm>
#include <map>
#include <set>
#include <span>

#include "evidence/chain.h"
#include "evidence/encoding.h"
#include "evidence/envelope.h"
#include "evidence/rotation.h"
#include "platform/digest.h"

namespace shoko::evidence {
namespace {

struct Item {
  bool verified = false;
  std::optional<Finding> finding;
  v1::Evidence record;
  std::string digest;
  std::string keyid;
  std::optional<std::pair<std::string, uint64_t>> claimed;  // (agent, seq) of a failed record
  bool names_own_key = false;  // a failed record's key_id is the key it is signed with
};

std::string ShortId(const std::string& id) {
  bool hex = id.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!hex || id.empty()) return "(malformed keyid)";
  return id.size() > 16 ? id.substr(0, 16) + "…" : id;
}

// What a record that failed verification says about itself: only for reports.
std::optional<std::pair<std::string, uint64_t>> Claimed(const v1::Envelope& env) {
  v1::Evidence ev;
  if (!ev.ParseFromString(env.payload()) || ev.seq() == 0) return std::nullopt;
  return std::make_pair(ev.agent_id(), ev.seq());
}

// Whether a record that failed verification names the key it is signed
// with, as a record of a rotated key does: only for reports.
bool NamesItsOwnKey(const v1::Envelope& env, const std::string& keyid) {
  v1::Evidence ev;
  return ev.ParseFromString(env.payload()) && ev.key_id() == keyid;
}

std::string Range(uint64_t first, uint64_t last) {
  return first == last ? "seq " + std::to_string(first)
                       : "seq " + std::to_string(first) + "-" + std::to_string(last);
}

// The runs of seqs in [first, last] that are not in `present`, walking only
// what is present: a forged seq near 2^64 costs nothing.
std::vector<std::pair<uint64_t, uint64_t>> HolesBetween(const std::set<uint64_t>& present,
                                                        uint64_t first, uint64_t last) {
  std::vector<std::pair<uint64_t, uint64_t>> holes;
  if (first > last) return holes;
  uint64_t next = first;
  for (auto it = present.lower_bound(first); it != present.end() && *it <= last; ++it) {
    if (*it > next) holes.emplace_back(next, *it - 1);
    if (*it == last) return holes;
    next = *it + 1;
  }
  holes.emplace_back(next, last);
  return holes;
}

std::string DescribeHoles(const std::vector<std::pair<uint64_t, uint64_t>>& holes) {
  std::string detail;
  for (auto [first, last] : holes) detail += (detail.empty() ? "" : ", ") + Range(first, last);
  return detail.empty() ? detail : detail + " missing";
}

}  // namespace

std::string_view ProblemName(Problem p) {
  switch (p) {
    case Problem::kBadSignature:
      return "bad-signature";
    case Problem::kUnknownKey:
      return "unknown-key";
    case Problem::kGap:
      return "gap";
    case Problem::kReordered:
      return "reordered";
    case Problem::kFork:
      return "fork";
    case Problem::kBrokenChain:
      return "broken-chain";
    case Problem::kDuplicate:
      return "duplicate";
    case Problem::kMalformed:
      return "malformed";
    case Problem::kMissingRecord:
      return "missing-record";
    case Problem::kMissingRotation:
      return "missing-rotation";
    case Problem::kBadProof:
      return "bad-proof";
    case Problem::kBadCheckpoint:
      return "bad-checkpoint";
    case Problem::kInconsistentCheckpoint:
      return "inconsistent-checkpoint";
    case Problem::kTooFewWitnesses:
      return "too-few-witnesses";
  }
  return "malformed";
}

std::string DescribeFinding(const Finding& finding) {
  std::string where;
  if (!finding.agent_id.empty()) where = "agent " + ShortId(finding.agent_id);
  if (finding.seq) where += (where.empty() ? "seq " : " seq ") + std::to_string(*finding.seq);
  std::string out = where.empty() ? "" : where + ": ";
  out += ProblemName(finding.problem);
  if (!finding.detail.empty()) out += ": " + finding.detail;
  return out;
}

namespace {

// One run of VerifyChains: its records, the keys it may use, and the passes
// that give each record at most one finding.
class ChainVerification {
 public:
  ChainVerification(const std::vector<VerifyInput>& inputs, const std::vector<PublicKey>& trusted,
                    const std::map<std::string, SeqRange>& ranges)
      : inputs_(inputs), ranges_(ranges), items_(inputs.size()) {
    for (const PublicKey& k : trusted) usable_.emplace(k.KeyId(), Usable{k, k.KeyId()});
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i].envelope) Fail(items_[i], Problem::kMalformed, inputs[i].malformed, {});
    }
  }
  // Entries verified elsewhere, in no particular order: only the chain passes
  // run on them.
  ChainVerification(const std::vector<ChainEntry>& entries,
                    const std::map<std::string, SeqRange>& ranges)
      : ranges_(ranges), items_(entries.size()), ordered_(false) {
    for (size_t i = 0; i < entries.size(); ++i) {
      const ChainEntry& entry = entries[i];
      Item& item = items_[i];
      item.claimed = std::make_pair(entry.agent_id, entry.seq);
      if (entry.digest.empty()) continue;
      item.verified = true;
      item.digest = entry.digest;
      item.record.set_agent_id(entry.agent_id);
      item.record.set_seq(entry.seq);
      item.record.set_prev_digest(entry.prev_digest);
    }
  }

  // Pass 1: signatures, with the keys known so far; a rotation record that
  // verifies may make more keys known, so repeat until nothing changes.
  void CheckSignatures();
  // Pass 2: each key only within its window of seqs.
  void CheckKeyWindows();
  // Pass 3: per agent, in the order written: duplicates, forks, reordering.
  void CheckOrder();
  // Pass 4: per agent, in seq order: links and holes.
  void CheckLinks();
  VerifyReport Report();

 private:
  // Holes within an agent's stated range, as missing-record findings.
  void CheckRange(const std::string& agent, const SeqRange& range);
  // For a record whose key nothing hands over: missing-rotation when its
  // agent's first key is trusted, naming the seq the key starts signing at.
  std::optional<Finding> MissingRotation(const Item& item, uint64_t from) const;
  std::vector<KeyWindow> KeyHistory(const std::string& agent) const;

  // A key the verifier may use, and the one agent it may sign for: a trusted
  // key only for the agent whose id it is (its first key), a key handed over
  // by rotation only for the agent that handed it over.
  struct Usable {
    PublicKey key;
    std::string agent_id;
  };
  // The seqs a key may sign, rebuilt from its agent's rotation records.
  struct Window {
    uint64_t from_seq = 1;
    uint64_t until_seq = UINT64_MAX;
    uint64_t rotated_at = 0;  // the rotation record that ended it, if any
  };

  static void Fail(Item& item, Problem p, std::string detail, std::optional<uint64_t> seq) {
    item.finding = Finding{p, seq, std::move(detail)};
  }
  // Verifies one record's signature with the keys known so far; false when
  // its key is not known (yet).
  void CheckSignature(size_t i);
  void RefuseUntrusted();
  bool RebuildWindows(const std::string& agent);
  // "seq 3-4 missing, seq 7 missing" for the holes between two seqs that no
  // refused record accounts for; empty when there are none.
  std::string Holes(const std::string& agent, uint64_t after, uint64_t before);

  std::span<const VerifyInput> inputs_;
  const std::map<std::string, SeqRange>& ranges_;
  std::vector<Finding> missing_;
  std::vector<Item> items_;
  bool ordered_ = true;  // the inputs are in the order written: reordering is a finding
  std::map<std::string, Usable> usable_;
  std::map<std::string, std::map<std::string, Window>> windows_;  // agent → key_id → window
  std::map<std::string, std::map<uint64_t, Item*>> chains_;       // agent → seq → record
  std::map<std::string, std::set<uint64_t>> claimed_;             // seqs that failed records claim
};

// Walks an agent's verified rotation records in seq order from its first key.
// Only the key signing at that point can hand over; a rotation signed by any
// other key (one already rotated out, say) hands over nothing. True when a
// key became usable.
bool ChainVerification::RebuildWindows(const std::string& agent) {
  std::vector<const Item*> rotations;
  for (const Item& item : items_) {
    if (item.verified && item.record.agent_id() == agent && RotationTarget(item.record)) {
      rotations.push_back(&item);
    }
  }
  std::sort(rotations.begin(), rotations.end(),
            [](const Item* a, const Item* b) { return a->record.seq() < b->record.seq(); });
  std::map<std::string, Window> timeline;
  std::string current = agent;  // the first key's id is the agent_id
  timeline[current] = Window{};
  bool added = false;
  for (const Item* r : rotations) {
    const uint64_t seq = r->record.seq();
    Window& now = timeline[current];
    if (r->keyid != current || seq < now.from_seq) continue;
    std::optional<PublicKey> next = RotationTarget(r->record);
    const std::string next_id = next->KeyId();
    if (timeline.contains(next_id)) continue;  // a key is handed over once
    now.until_seq = seq;
    now.rotated_at = seq;
    timeline[next_id] = Window{seq + 1, UINT64_MAX, 0};
    if (!usable_.contains(next_id)) added = true;
    usable_.emplace(next_id, Usable{*next, agent});
    current = next_id;
  }
  windows_[agent] = std::move(timeline);
  return added;
}

void ChainVerification::CheckSignature(size_t i) {
  Item& item = items_[i];
  const v1::Envelope& env = *inputs_[i].envelope;
  if (env.signatures_size() != 1) {
    Fail(item, Problem::kMalformed,
         "expected one signature, found " + std::to_string(env.signatures_size()), std::nullopt);
    return;
  }
  item.keyid = env.signatures(0).keyid();
  auto key = usable_.find(item.keyid);
  if (key == usable_.end()) return;  // perhaps a rotation introduces it later
  if (!key->second.key.Verify(Pae(env.payload_type(), env.payload()), env.signatures(0).sig())) {
    item.claimed = Claimed(env);
    Fail(item, Problem::kBadSignature, "",
         item.claimed ? std::optional<uint64_t>(item.claimed->second) : std::nullopt);
    return;
  }
  if (env.payload_type() != kEvidencePayloadType) {
    Fail(item, Problem::kMalformed, "payload type is not shoko evidence", std::nullopt);
    return;
  }
  auto record = ParseEvidence(env.payload());
  if (!record.ok()) {
    Fail(item, Problem::kMalformed, record.status().message(), std::nullopt);
    return;
  }
  item.record = std::move(record).value();
  if (item.record.key_id() != item.keyid) {
    Fail(item, Problem::kMalformed,
         "record names key " + ShortId(item.record.key_id()) + " but is signed by " +
             ShortId(item.keyid),
         item.record.seq());
    return;
  }
  if (item.record.agent_id() != key->second.agent_id) {
    item.claimed = std::make_pair(item.record.agent_id(), item.record.seq());
    Fail(item, Problem::kUnknownKey,
         "key " + ShortId(item.keyid) + " is not a key of agent " + ShortId(item.record.agent_id()),
         item.record.seq());
    return;
  }
  item.verified = true;
  item.digest = RecordDigest(env.payload());
}

void ChainVerification::CheckSignatures() {
  for (bool progress = true; progress;) {
    progress = false;
    std::set<std::string> touched;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      Item& item = items_[i];
      if (item.verified || item.finding) continue;
      CheckSignature(i);
      if (item.verified && RotationTarget(item.record)) touched.insert(item.record.agent_id());
    }
    for (const std::string& agent : touched) progress = RebuildWindows(agent) || progress;
  }
  RefuseUntrusted();
}

std::optional<Finding> ChainVerification::MissingRotation(const Item& item, uint64_t from) const {
  if (!item.claimed) return std::nullopt;
  const auto& [agent, seq] = *item.claimed;
  auto first_key = usable_.find(agent);
  if (first_key == usable_.end() || first_key->second.agent_id != agent) return std::nullopt;
  return Finding{Problem::kMissingRotation, seq,
                 "a key-rotation record is missing" +
                     (from > 1 ? " at seq " + std::to_string(from - 1) : std::string()) + ": key " +
                     ShortId(item.keyid) + " signs this agent's records from seq " +
                     std::to_string(from) + " and no verified rotation record hands it over"};
}

// What no known key verifies is signed by a key nobody trusts, or, for an
// agent whose first key is trusted and a record that names the key it is
// signed with, by a key whose rotation record is missing.
void ChainVerification::RefuseUntrusted() {
  // Per (agent, key): the lowest seq it signs among the refused records.
  std::map<std::pair<std::string, std::string>, uint64_t> key_from;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    Item& item = items_[i];
    if (item.verified || item.finding) continue;
    item.claimed = Claimed(*inputs_[i].envelope);
    item.names_own_key = NamesItsOwnKey(*inputs_[i].envelope, item.keyid);
    if (!item.claimed || !item.names_own_key) continue;
    auto [at, fresh] =
        key_from.emplace(std::make_pair(item.claimed->first, item.keyid), item.claimed->second);
    if (!fresh) at->second = std::min(at->second, item.claimed->second);
  }
  for (Item& item : items_) {
    if (item.verified || item.finding) continue;
    if (item.claimed && item.names_own_key) {
      const uint64_t from = key_from.at({item.claimed->first, item.keyid});
      if (auto missing = MissingRotation(item, from)) {
        item.finding = std::move(missing);
        continue;
      }
    }
    Fail(item, Problem::kUnknownKey, "key " + ShortId(item.keyid) + " is not trusted",
         item.claimed ? std::optional<uint64_t>(item.claimed->second) : std::nullopt);
  }
}

void ChainVerification::CheckKeyWindows() {
  for (Item& item : items_) {
    if (!item.verified) continue;
    const std::string& agent = item.record.agent_id();
    if (!windows_.contains(agent)) RebuildWindows(agent);
    const uint64_t seq = item.record.seq();
    // A refused record still accounts for its seq: the hole is not a gap too.
    item.claimed = std::make_pair(agent, seq);
    auto w = windows_[agent].find(item.keyid);
    std::string problem;
    if (w == windows_[agent].end()) {
      problem = "was never handed to this agent";
    } else if (seq > w->second.until_seq) {
      problem = "was rotated out at seq " + std::to_string(w->second.rotated_at);
    } else if (seq < w->second.from_seq) {
      problem = "was handed over only from seq " + std::to_string(w->second.from_seq);
    }
    if (problem.empty()) continue;
    item.verified = false;
    Fail(item, Problem::kUnknownKey, "key " + ShortId(item.keyid) + " " + problem, seq);
  }
}

void ChainVerification::CheckOrder() {
  std::map<std::string, uint64_t> highest;
  for (Item& item : items_) {
    if (!item.verified) continue;
    const std::string& agent = item.record.agent_id();
    const uint64_t seq = item.record.seq();
    auto& chain = chains_[agent];
    auto held = chain.find(seq);
    if (held != chain.end()) {
      bool same = held->second->digest == item.digest;
      Fail(item, same ? Problem::kDuplicate : Problem::kFork,
           same ? "" : "another record at this seq was seen before", seq);
      continue;
    }
    chain[seq] = &item;
    if (ordered_ && seq < highest[agent]) {
      Fail(item, Problem::kReordered, "after seq " + std::to_string(highest[agent]), seq);
    }
    highest[agent] = std::max(highest[agent], seq);
  }
}

std::string ChainVerification::Holes(const std::string& agent, uint64_t after, uint64_t before) {
  if (before <= after + 1) return "";
  return DescribeHoles(HolesBetween(claimed_[agent], after + 1, before - 1));
}

void ChainVerification::CheckRange(const std::string& agent, const SeqRange& range) {
  std::set<uint64_t> present = claimed_[agent];
  for (const auto& [seq, item] : chains_[agent]) present.insert(seq);
  for (auto [first, last] : HolesBetween(present, range.first, range.last)) {
    missing_.push_back(Finding{Problem::kMissingRecord, first,
                               DescribeHoles({{first, last}}) + " from the stated range " +
                                   Range(range.first, range.last).substr(4),
                               agent, last});
  }
}

void ChainVerification::CheckLinks() {
  for (const Item& item : items_) {
    if (item.claimed) claimed_[item.claimed->first].insert(item.claimed->second);
  }
  for (auto& [agent, chain] : chains_) {
    const bool ranged = ranges_.contains(agent);
    ChainHead prev;
    for (auto& [seq, item] : chain) {
      if (seq == prev.seq + 1) {
        if (item->record.prev_digest() != prev.digest && !item->finding) {
          Fail(*item, Problem::kBrokenChain,
               "prev_digest is not the digest of " +
                   (prev.seq == 0 ? std::string("the chain's start (32 zero bytes)")
                                  : "seq " + std::to_string(prev.seq)),
               seq);
        }
      } else if (std::string holes = ranged ? "" : Holes(agent, prev.seq, seq);
                 !holes.empty() && !item->finding) {
        Fail(*item, Problem::kGap, std::move(holes), seq);
      }
      prev.seq = seq;
      prev.digest = item->digest;
    }
  }
  for (const auto& [agent, range] : ranges_) CheckRange(agent, range);
}

std::vector<KeyWindow> ChainVerification::KeyHistory(const std::string& agent) const {
  std::vector<KeyWindow> history;
  auto timeline = windows_.find(agent);
  if (timeline == windows_.end()) return history;
  for (const auto& [key_id, window] : timeline->second) {
    auto key = usable_.find(key_id);
    if (key == usable_.end()) continue;
    history.push_back(KeyWindow{key->second.key, window.from_seq, window.until_seq});
  }
  std::sort(history.begin(), history.end(),
            [](const KeyWindow& a, const KeyWindow& b) { return a.from_seq < b.from_seq; });
  return history;
}

VerifyReport ChainVerification::Report() {
  VerifyReport report;
  report.agents = chains_.size();
  for (Item& item : items_) {
    if (item.verified && !item.finding) ++report.valid;
    if (item.finding && item.finding->agent_id.empty()) {
      // Only an id that reads as one: a refused record's claim may be any bytes.
      const std::string& agent = item.claimed ? item.claimed->first : item.record.agent_id();
      if (platform::IsHexSha256(agent)) item.finding->agent_id = agent;
    }
    report.findings.push_back(std::move(item.finding));
  }
  report.missing = std::move(missing_);
  for (const auto& [agent, chain] : chains_) {
    if (windows_.contains(agent)) report.keys[agent] = KeyHistory(agent);
  }
  return report;
}

}  // namespace

VerifyReport VerifyChains(const std::vector<VerifyInput>& inputs,
                          const std::vector<PublicKey>& trusted,
                          const std::map<std::string, SeqRange>& ranges) {
  ChainVerification verification(inputs, trusted, ranges);
  verification.CheckSignatures();
  verification.CheckKeyWindows();
  verification.CheckOrder();
  verification.CheckLinks();
  return verification.Report();
}

VerifyReport VerifyLinks(const std::vector<ChainEntry>& entries,
                         const std::map<std::string, SeqRange>& ranges) {
  ChainVerification verification(entries, ranges);
  verification.CheckOrder();
  verification.CheckLinks();
  return verification.Report();
}

}  // namespace shoko::evidence
