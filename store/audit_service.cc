#include "store/audit_service.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "controls/control_ref.h"
#include "platform/grpc_status.h"
#include "store/log_service.h"

namespace shoko::store {
namespace {

Status CheckAgentPrefix(const std::string& agent_id) {
  if (agent_id.size() > 64 || agent_id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Status::InvalidArgument(
        "agent_id: not an agent id or a prefix of one (up to 64 lowercase hex digits)");
  }
  return Status::OK();
}

// The ledger failed while answering: INTERNAL, UNAVAILABLE for a lost database.
grpc::Status StoreError(const Status& s) { return platform::ToGrpc(s.WithContext("store error")); }

grpc::Status ClientGone() { return grpc::Status(grpc::StatusCode::CANCELLED, "client went away"); }

// Per agent, the proof that hands its first key on to later ones: its
// rotation records go with every record of it, so that a reader can check
// each key's window, the first key's included. Read once per agent per call.
class KeyProofs {
 public:
  explicit KeyProofs(Ledger* ledger) : ledger_(ledger) {}

  // Adds the proof to `out`, a record of `agent_id`, when it needs one: the
  // agent has rotated, or the record is signed by another key than the first.
  Status AddTo(const std::string& agent_id, v1::StoredEvidence* out) {
    auto proof = proofs_.find(agent_id);
    if (proof == proofs_.end()) {
      SHOKO_ASSIGN_OR_RETURN(Proof read, Read(agent_id));
      proof = proofs_.emplace(agent_id, std::move(read)).first;
    }
    const v1::Envelope& envelope = out->envelope();
    if (proof->second.rotations.empty() &&
        (envelope.signatures_size() != 1 || envelope.signatures(0).keyid() == agent_id)) {
      return Status::OK();
    }
    out->set_first_public_key(proof->second.first_public_key);
    for (const v1::Envelope& e : proof->second.rotations) *out->add_key_rotations() = e;
    return Status::OK();
  }

 private:
  struct Proof {
    std::string first_public_key;
    std::vector<v1::Envelope> rotations;
  };

  Result<Proof> Read(const std::string& agent_id) {
    SHOKO_ASSIGN_OR_RETURN(std::optional<AgentEntry> agent, ledger_->FindAgent(agent_id));
    SHOKO_ASSIGN_OR_RETURN(std::vector<std::string> rotations,
                           ledger_->RotationEnvelopes(agent_id));
    Proof p;
    // An agent's first key is the one its id names.
    if (const AgentKey* first = agent ? agent->Key(agent_id) : nullptr) {
      p.first_public_key = first->public_key;
    }
    for (const std::string& bytes : rotations) {
      v1::Envelope e;
      if (e.ParseFromString(bytes)) p.rotations.push_back(std::move(e));
    }
    return p;
  }

  Ledger* ledger_;
  std::map<std::string, Proof> proofs_;
};

}  // namespace

Result<EvidenceFilter> AuditService::FilterFor(const v1::ListEvidenceRequest& request) const {
  if (!request.control_ref().empty() && !controls::IsValidControlRef(request.control_ref())) {
    return Status::InvalidArgument("'" + request.control_ref() +
                                   "' is not a control ref (framework:id, e.g. ismap:8.2)");
  }
  SHOKO_RETURN_IF_ERROR(CheckAgentPrefix(request.agent_id()));
  EvidenceFilter filter{request.control_ref(), request.agent_id(), request.limit()};
  if (reports_.mapping == nullptr || filter.control_ref.empty()) return filter;
  nlohmann::json under = nlohmann::json::array(), all = nlohmann::json::array();
  for (const auto& [check, refs] : reports_.mapping->checks()) {
    all.push_back(check);
    for (const std::string& ref : refs) {
      if (controls::RefIsUnder(ref, filter.control_ref)) {
        under.push_back(check);
        break;
      }
    }
  }
  filter.checks_under = under.dump();
  filter.mapped_checks = all.dump();
  return filter;
}

Status AuditService::AddProof(const LedgerRecord& r, uint64_t tree_size, v1::StoredEvidence* out) {
  SHOKO_ASSIGN_OR_RETURN(std::optional<LogLeaf> leaf, log_->LeafOf(r.agent_id, r.seq));
  if (!leaf || leaf->index >= tree_size) return Status::OK();  // not in that tree yet
  SHOKO_ASSIGN_OR_RETURN(std::vector<std::string> proof,
                         log_->InclusionProof(leaf->index, tree_size));
  *out->mutable_leaf() = LeafMessage(*leaf);
  for (std::string& h : proof) out->add_inclusion_proof(std::move(h));
  return Status::OK();
}

grpc::Status AuditService::ListEvidence(grpc::ServerContext* context,
                                        const v1::ListEvidenceRequest* request,
                                        grpc::ServerWriter<v1::StoredEvidence>* writer) {
  if (grpc::Status s = authorization_.Admit(*context, Rpc::kListEvidence); !s.ok()) return s;
  Result<EvidenceFilter> filter = FilterFor(*request);
  if (!filter.ok()) return platform::ToGrpc(filter.status());
  uint64_t proof_tree_size = 0;
  if (request->proof_tree_size() != 0) {
    Result<uint64_t> size = ProvenTreeSize(*log_, request->proof_tree_size());
    if (!size.ok()) return platform::ToGrpc(size.status());
    proof_tree_size = *size;
  }
  bool client_gone = false;
  Status failed;  // a record that does not parse, or its agent's keys that cannot be read
  KeyProofs proofs(ledger_);
  Status listed = ledger_->List(*filter, [&](const LedgerRecord& r) {
    v1::StoredEvidence out;
    if (!out.mutable_envelope()->ParseFromString(r.envelope)) {
      failed = Status::Corruption("stored envelope of agent " + r.agent_id + " seq " +
                                  std::to_string(r.seq) + " does not parse");
      return false;
    }
    out.set_record_digest(r.record_digest);
    out.set_received_at_us(r.received_at_us);
    out.set_public_key(r.public_key);
    failed = proofs.AddTo(r.agent_id, &out).WithContext("store error");
    if (failed.ok() && proof_tree_size != 0) {
      failed = AddProof(r, proof_tree_size, &out).WithContext("store error");
    }
    if (!failed.ok()) return false;
    client_gone = context->IsCancelled() || !writer->Write(out);
    return !client_gone;
  });
  if (!listed.ok()) return StoreError(listed);
  if (!failed.ok()) return platform::ToGrpc(failed);
  if (client_gone) return ClientGone();
  return grpc::Status::OK;
}

Result<std::map<std::string, HostEvidence>> AuditService::LatestByHost(
    grpc::ServerContext* context, const std::string& agent_prefix) {
  // The latest record of each check on each host: one pass over the ledger.
  std::map<std::string, HostEvidence> by_agent;
  Status corrupt;
  uint64_t scanned = 0;
  EvidenceFilter filter;
  filter.agent_id = agent_prefix;
  Status listed = ledger_->List(filter, [&](const LedgerRecord& r) {
    v1::Envelope envelope;
    v1::Evidence ev;
    if (!envelope.ParseFromString(r.envelope) || !ev.ParseFromString(envelope.payload())) {
      corrupt = Status::Corruption("stored record of agent " + r.agent_id + " seq " +
                                   std::to_string(r.seq) + " does not parse");
      return false;
    }
    HostEvidence& host = by_agent[r.agent_id];
    host.agent_id = r.agent_id;
    host.Add(ev, r.received_at_us);
    // IsCancelled takes a lock: asked per record, it made the scan 13x slower.
    return ++scanned % 4096 != 0 || !context->IsCancelled();
  });
  SHOKO_RETURN_IF_ERROR(listed.WithContext("store error"));
  SHOKO_RETURN_IF_ERROR(corrupt);
  return by_agent;
}

Result<std::vector<HostEvidence>> AuditService::WithoutRetired(
    std::map<std::string, HostEvidence> by_agent, const std::string& service, int* retired) {
  // A retired host is gone: its evidence stays in the ledger, not in the
  // matrix. A revoked one stays, and none of its passes counts.
  std::vector<HostEvidence> hosts;
  for (auto& [agent_id, host] : by_agent) {
    auto agent = ledger_->FindAgent(agent_id);
    if (!agent.ok()) return agent.status().WithContext("store error");
    if (*agent) host.state = (*agent)->state;
    if (host.state == kAgentRetired) {
      auto label = host.labels.find("service");
      *retired += service.empty() || (label != host.labels.end() && label->second == service);
      continue;
    }
    hosts.push_back(std::move(host));
  }
  return hosts;
}

grpc::Status AuditService::Compliance(grpc::ServerContext* context,
                                      const v1::ComplianceRequest* request,
                                      v1::ComplianceReport* report) {
  if (grpc::Status s = authorization_.Admit(*context, Rpc::kCompliance); !s.ok()) return s;
  if (Status s = CheckAgentPrefix(request->agent_id()); !s.ok()) return platform::ToGrpc(s);
  auto by_agent = LatestByHost(context, request->agent_id());
  if (!by_agent.ok()) return platform::ToGrpc(by_agent.status());
  if (context->IsCancelled()) return ClientGone();
  int retired = 0;
  auto hosts = WithoutRetired(std::move(by_agent).value(), request->service(), &retired);
  if (!hosts.ok()) return platform::ToGrpc(hosts.status());
  ComplianceContext context_now = reports_;
  context_now.now_us = now_();
  auto built = BuildCompliance(*request, context_now, *hosts);
  if (!built.ok()) return platform::ToGrpc(built.status());
  *report = std::move(built).value();
  if (retired > 0) {
    report->add_warnings(std::to_string(retired) +
                         (retired == 1 ? " retired host" : " retired hosts") +
                         " left out (their evidence stays in the ledger)");
  }
  return grpc::Status::OK;
}

grpc::Status AuditService::ListIncidents(grpc::ServerContext* context,
                                         const v1::ListIncidentsRequest* request,
                                         grpc::ServerWriter<v1::StoreIncident>* writer) {
  if (grpc::Status s = authorization_.Admit(*context, Rpc::kListIncidents); !s.ok()) return s;
  if (Status s = CheckAgentPrefix(request->agent_id()); !s.ok()) return platform::ToGrpc(s);
  auto gaps = ledger_->Gaps("");
  if (!gaps.ok()) return StoreError(gaps.status());
  auto incidents = ledger_->Incidents("");
  if (!incidents.ok()) return StoreError(incidents.status());
  std::vector<v1::StoreIncident> out;
  const std::string& prefix = request->agent_id();
  for (const ChainGap& g : *gaps) {
    if (!g.agent_id.starts_with(prefix)) continue;
    v1::StoreIncident& i = out.emplace_back();
    i.set_kind("gap");
    i.set_agent_id(g.agent_id);
    i.set_first_seq(g.first_seq);
    i.set_last_seq(g.last_seq);
    i.set_detected_at_us(g.detected_at_us);
    i.set_detail("seqs " + std::to_string(g.first_seq) + "-" + std::to_string(g.last_seq) +
                 " never reached the store");
  }
  for (const Incident& k : *incidents) {
    if (!k.agent_id.starts_with(prefix)) continue;
    v1::StoreIncident& i = out.emplace_back();
    i.set_kind(k.kind);
    i.set_agent_id(k.agent_id);
    i.set_first_seq(k.seq);
    i.set_last_seq(k.seq);
    i.set_detected_at_us(k.detected_at_us);
    i.set_detail(k.detail);
    i.mutable_envelope()->ParseFromString(k.envelope);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.detected_at_us() < b.detected_at_us();
  });
  for (const v1::StoreIncident& i : out) {
    if (!writer->Write(i)) return ClientGone();
  }
  return grpc::Status::OK;
}

}  // namespace shoko::store
