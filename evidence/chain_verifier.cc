#include "evidence/chain_verifier.h"

#include <algorithm>
#include <map>
#include <set>

#include "evidence/chain.h"
#include "evidence/encoding.h"
#include "evidence/envelope.h"
#include "evidence/rotation.h"

namespace shoko::evidence {
namespace {

struct Item {
  bool verified = false;
  std::optional<Finding> finding;
  v1::Evidence record;
  std::string digest;
  std::string keyid;
  std::optional<std::pair<std::string, uint64_t>> claimed;  // (agent, seq) of a failed record
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

std::string Range(uint64_t first, uint64_t last) {
  return first == last ? "seq " + std::to_string(first)
                       : "seq " + std::to_string(first) + "-" + std::to_string(last);
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
  }
  return "malformed";
}

VerifyReport VerifyChains(const std::vector<VerifyInput>& inputs,
                          const std::vector<PublicKey>& trusted) {
  std::vector<Item> items(inputs.size());
  // Every key the verifier may use, and the one agent it may sign for: a
  // trusted key only for the agent whose id it is (its first key), a key
  // handed over by rotation only for the agent that handed it over.
  struct Usable {
    PublicKey key;
    std::string agent_id;
  };
  std::map<std::string, Usable> usable;
  for (const PublicKey& k : trusted) usable.emplace(k.KeyId(), Usable{k, k.KeyId()});
  // Per agent, the seq windows of its keys, rebuilt from its rotation records.
  struct Window {
    uint64_t from_seq = 1;
    uint64_t until_seq = UINT64_MAX;
    uint64_t rotated_at = 0;  // the rotation record that ended it, if any
  };
  std::map<std::string, std::map<std::string, Window>> windows;  // agent → key_id → window

  auto fail = [](Item& item, Problem p, std::string detail, std::optional<uint64_t> seq) {
    item.finding = Finding{p, seq, std::move(detail)};
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].envelope) fail(items[i], Problem::kMalformed, inputs[i].malformed, std::nullopt);
  }

  // Walks an agent's verified rotation records in seq order from its first
  // key. Only the key signing at that point can hand over; a rotation signed by
  // any other key (one already rotated out, say) hands over nothing.
  auto rebuild_windows = [&](const std::string& agent) -> bool {
    std::vector<const Item*> rotations;
    for (const Item& item : items) {
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
      if (!usable.contains(next_id)) added = true;
      usable.emplace(next_id, Usable{*next, agent});
      current = next_id;
    }
    windows[agent] = std::move(timeline);
    return added;
  };

  // Pass 1: signatures, with the keys known so far; a rotation record that
  // verifies may make more keys known, so repeat until nothing changes.
  for (bool progress = true; progress;) {
    progress = false;
    std::set<std::string> touched;
    for (size_t i = 0; i < inputs.size(); ++i) {
      Item& item = items[i];
      if (item.verified || item.finding) continue;
      const v1::Envelope& env = *inputs[i].envelope;
      if (env.signatures_size() != 1) {
        fail(item, Problem::kMalformed,
             "expected one signature, found " + std::to_string(env.signatures_size()),
             std::nullopt);
        continue;
      }
      item.keyid = env.signatures(0).keyid();
      auto key = usable.find(item.keyid);
      if (key == usable.end()) continue;  // perhaps a rotation introduces it later
      if (!key->second.key.Verify(Pae(env.payload_type(), env.payload()),
                                  env.signatures(0).sig())) {
        item.claimed = Claimed(env);
        fail(item, Problem::kBadSignature, "",
             item.claimed ? std::optional<uint64_t>(item.claimed->second) : std::nullopt);
        continue;
      }
      if (env.payload_type() != kEvidencePayloadType) {
        fail(item, Problem::kMalformed, "payload type is not shoko evidence", std::nullopt);
        continue;
      }
      auto record = ParseEvidence(env.payload());
      if (!record.ok()) {
        fail(item, Problem::kMalformed, record.status().message(), std::nullopt);
        continue;
      }
      item.record = std::move(record).value();
      if (item.record.key_id() != item.keyid) {
        fail(item, Problem::kMalformed,
             "record names key " + ShortId(item.record.key_id()) + " but is signed by " +
                 ShortId(item.keyid),
             item.record.seq());
        continue;
      }
      if (item.record.agent_id() != key->second.agent_id) {
        item.claimed = std::make_pair(item.record.agent_id(), item.record.seq());
        fail(item, Problem::kUnknownKey,
             "key " + ShortId(item.keyid) + " is not a key of agent " +
                 ShortId(item.record.agent_id()),
             item.record.seq());
        continue;
      }
      item.verified = true;
      item.digest = RecordDigest(env.payload());
      if (RotationTarget(item.record)) touched.insert(item.record.agent_id());
    }
    for (const std::string& agent : touched) progress = rebuild_windows(agent) || progress;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    Item& item = items[i];
    if (item.verified || item.finding) continue;
    item.claimed = Claimed(*inputs[i].envelope);
    fail(item, Problem::kUnknownKey, "key " + ShortId(item.keyid) + " is not trusted",
         item.claimed ? std::optional<uint64_t>(item.claimed->second) : std::nullopt);
  }

  // Pass 2: each key only within its window of seqs.
  for (Item& item : items) {
    if (!item.verified) continue;
    const std::string& agent = item.record.agent_id();
    if (!windows.contains(agent)) rebuild_windows(agent);
    const uint64_t seq = item.record.seq();
    // A refused record still accounts for its seq: the hole is not a gap too.
    item.claimed = std::make_pair(agent, seq);
    auto w = windows[agent].find(item.keyid);
    if (w == windows[agent].end()) {
      item.verified = false;
      fail(item, Problem::kUnknownKey,
           "key " + ShortId(item.keyid) + " was never handed to this agent", seq);
    } else if (seq > w->second.until_seq) {
      item.verified = false;
      fail(item, Problem::kUnknownKey,
           "key " + ShortId(item.keyid) + " was rotated out at seq " +
               std::to_string(w->second.rotated_at),
           seq);
    } else if (seq < w->second.from_seq) {
      item.verified = false;
      fail(item, Problem::kUnknownKey,
           "key " + ShortId(item.keyid) + " was handed over only from seq " +
               std::to_string(w->second.from_seq),
           seq);
    }
  }

  // Pass 3: per agent, in the order written: duplicates, forks, reordering.
  std::map<std::string, std::map<uint64_t, Item*>> chains;  // agent → seq → record
  std::map<std::string, uint64_t> highest;
  for (Item& item : items) {
    if (!item.verified) continue;
    const std::string& agent = item.record.agent_id();
    const uint64_t seq = item.record.seq();
    auto& chain = chains[agent];
    auto held = chain.find(seq);
    if (held != chain.end()) {
      bool same = held->second->digest == item.digest;
      fail(item, same ? Problem::kDuplicate : Problem::kFork,
           same ? "" : "another record at this seq was seen before", seq);
      continue;
    }
    chain[seq] = &item;
    if (seq < highest[agent]) {
      fail(item, Problem::kReordered, "after seq " + std::to_string(highest[agent]), seq);
    }
    highest[agent] = std::max(highest[agent], seq);
  }

  // Pass 4: per agent, in seq order: links and holes.
  std::map<std::string, std::set<uint64_t>> claimed;  // seqs that failed records claim
  for (const Item& item : items) {
    if (item.claimed) claimed[item.claimed->first].insert(item.claimed->second);
  }
  for (auto& [agent, chain] : chains) {
    ChainHead prev;
    for (auto& [seq, item] : chain) {
      if (seq == prev.seq + 1) {
        if (item->record.prev_digest() != prev.digest && !item->finding) {
          fail(*item, Problem::kBrokenChain,
               "prev_digest is not the digest of seq " + std::to_string(prev.seq), seq);
        }
      } else {
        std::vector<std::pair<uint64_t, uint64_t>> holes;
        for (uint64_t s = prev.seq + 1; s < seq; ++s) {
          if (claimed[agent].contains(s)) continue;
          if (!holes.empty() && holes.back().second + 1 == s) {
            holes.back().second = s;
          } else {
            holes.emplace_back(s, s);
          }
        }
        if (!holes.empty() && !item->finding) {
          std::string detail;
          for (auto [first, last] : holes)
            detail += (detail.empty() ? "" : ", ") + Range(first, last);
          fail(*item, Problem::kGap, detail + " missing", seq);
        }
      }
      prev.seq = seq;
      prev.digest = item->digest;
    }
  }

  VerifyReport report;
  report.agents = chains.size();
  for (Item& item : items) {
    if (!item.finding) ++report.valid;
    report.findings.push_back(std::move(item.finding));
  }
  return report;
}

}  // namespace shoko::evidence
