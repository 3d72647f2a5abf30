#include "cli/evidence_command.h"

#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/chain_check.h"
#include "cli/inclusion_check.h"
#include "cli/log_client.h"
#include "cli/log_key.h"
#include "cli/store_client.h"
#include "controls/control_ref.h"
#include "evidence/chain.h"
#include "evidence/encoding.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "evidence/rotation.h"
#include "platform/exit_code.h"
#include "platform/text_table.h"
#include "platform/time_format.h"
#include "shoko/v1/audit.grpc.pb.h"

namespace shoko::cli {
namespace {

std::string VerdictName(v1::Verdict v) {
  switch (v) {
    case v1::PASS:
      return "pass";
    case v1::FAIL:
      return "fail";
    case v1::NOT_APPLICABLE:
      return "not_applicable";
    case v1::ERROR:
      return "error";
    case v1::INFO:
      return "info";
    default:
      return "unspecified";
  }
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "-" : out;
}

// One listed record after local verification.
struct Checked {
  const v1::StoredEvidence* stored;
  v1::Evidence evidence;
  std::string problem;         // empty when everything verifies
  std::string_view inclusion;  // InclusionName, or "not-checked"
};

nlohmann::ordered_json ToJson(const Checked& c) {
  const v1::Evidence& ev = c.evidence;
  nlohmann::ordered_json j;
  j["agent_id"] = ev.agent_id();
  j["seq"] = ev.seq();
  j["hostname"] = ev.host().hostname();
  j["check_id"] = ev.check_id();
  j["collector"] = ev.collector();
  j["verdict"] = VerdictName(ev.verdict());
  j["controls"] = std::vector<std::string>(ev.controls().begin(), ev.controls().end());
  j["collected_at"] = platform::FormatRfc3339(evidence::CollectedAtMicros(ev));
  j["received_at"] = platform::FormatRfc3339(c.stored->received_at_us());
  j["record_digest"] = platform::HexEncode(c.stored->record_digest());
  j["signature"] = c.problem.empty() ? "valid" : "invalid";
  if (!c.problem.empty()) j["problem"] = c.problem;
  j["inclusion"] = c.inclusion;
  j["message"] = ev.message();
  std::string facts;
  if (google::protobuf::util::MessageToJsonString(ev.facts(), &facts).ok()) {
    j["facts"] = nlohmann::ordered_json::parse(facts, nullptr, false);
  }
  return j;
}

// Walks the store's rotation proof from the agent's first key to the key of
// `record`; returns the problem, or "" when the hand-over holds.
std::string FollowRotations(const v1::StoredEvidence& stored, const v1::Evidence& record) {
  auto first = evidence::PublicKey::FromRaw(stored.first_public_key());
  if (!first.ok() || first->KeyId() != record.agent_id()) {
    return "agent_id is not the id of the signing key, and the store sent no first key for it";
  }
  evidence::PublicKey current = *first;
  uint64_t handed_at = 0;
  for (const v1::Envelope& env : stored.key_rotations()) {
    const bool reached = current.KeyId() == record.key_id();
    if (!evidence::VerifyEvidenceEnvelope(env, current).ok()) {
      if (reached) break;  // not this key's hand-over: the walk is done
      return "a key-rotation record of the agent does not verify under the key before it";
    }
    auto rotation = evidence::ParseEvidence(env.payload());
    if (!rotation.ok() || rotation->agent_id() != record.agent_id() ||
        rotation->seq() <= handed_at) {
      return "the agent's key-rotation records are malformed or out of order";
    }
    auto next = evidence::RotationTarget(*rotation);
    if (!next) return "a key-rotation record of the agent names no valid key";
    if (reached) {
      // The record's key handed over at this seq: it may sign nothing later.
      if (record.seq() > rotation->seq()) {
        return "key " + record.key_id() + " signed seq " + std::to_string(record.seq()) +
               " after it was rotated out at seq " + std::to_string(rotation->seq());
      }
      break;
    }
    current = *next;
    handed_at = rotation->seq();
  }
  if (current.KeyId() != record.key_id()) {
    return "no chain of key-rotation records leads from the agent_id to key " + record.key_id();
  }
  if (record.seq() <= handed_at) {
    return "key " + record.key_id() + " signed seq " + std::to_string(record.seq()) +
           ", before the agent handed over to it at seq " + std::to_string(handed_at);
  }
  return "";
}

}  // namespace

Status ListStoredEvidence(const StoreChannel& store, const v1::ListEvidenceRequest& request,
                          std::chrono::seconds deadline,
                          const std::function<Status(const v1::StoredEvidence&)>& each) {
  auto stub = v1::AuditQuery::NewStub(store.channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  auto reader = stub->ListEvidence(&ctx, request);
  v1::StoredEvidence item;
  Status failed;
  while (failed.ok() && reader->Read(&item)) failed = each(item);
  if (!failed.ok()) {
    ctx.TryCancel();
    (void)reader->Finish();
    return failed;
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return store.CallFailed(status);
  return Status::OK();
}

std::string VerifyStoredEvidence(const v1::StoredEvidence& stored, v1::Evidence* parsed) {
  auto key = evidence::PublicKey::FromRaw(stored.public_key());
  if (!key.ok()) return "store sent no usable key: " + key.status().message();
  Status sig = evidence::VerifyEvidenceEnvelope(stored.envelope(), *key);
  if (!sig.ok()) return sig.message();
  auto ev = evidence::ParseEvidence(stored.envelope().payload());
  if (!ev.ok()) return ev.status().message();
  *parsed = std::move(ev).value();
  // The record must name the key the store verified it with, and that key
  // must be the agent's: its first (whose id is the agent_id), or one the
  // agent handed over to through rotation records signed key by key.
  if (parsed->key_id() != key->KeyId()) {
    return "record names key " + parsed->key_id() + " but the store verified it with " +
           key->KeyId();
  }
  if (parsed->agent_id() != parsed->key_id() || stored.key_rotations_size() > 0) {
    std::string problem = FollowRotations(stored, *parsed);
    if (!problem.empty()) return problem;
  }
  if (evidence::RecordDigest(stored.envelope().payload()) != stored.record_digest()) {
    return "record digest differs from the store's";
  }
  return "";
}

namespace {

// The records the store lists for `query`, as it sent them, with their
// inclusion proofs against the tree of `proof_tree_size` leaves (0: none).
Result<std::vector<v1::StoredEvidence>> ListStored(const StoreChannel& store,
                                                   const EvidenceQuery& query,
                                                   uint64_t proof_tree_size) {
  v1::ListEvidenceRequest request;
  request.set_control_ref(query.control);
  request.set_agent_id(query.agent);
  request.set_limit(query.limit);
  request.set_proof_tree_size(proof_tree_size);
  std::vector<v1::StoredEvidence> stored;
  SHOKO_RETURN_IF_ERROR(
      ListStoredEvidence(store, request, kEvidenceDeadline, [&](const v1::StoredEvidence& item) {
        stored.push_back(item);
        return Status::OK();
      }));
  return stored;
}

// What a listing found wrong, and what it says besides, in report order.
struct EvidenceReport {
  size_t invalid = 0;              // records that failed verification
  std::vector<std::string> lines;  // ranges, notes and problems
  size_t problems = 0;             // lines that are problems
  // Of `problems`, those with the agents' chains; the others are with the
  // log (a checkpoint, an inclusion).
  size_t chain_problems = 0;
  void Problem(std::string line) {
    lines.push_back(std::move(line));
    ++problems;
  }
};

// The latest checkpoint, opened with the pinned key, to check inclusion
// against; nullopt (and a line saying why) when inclusion cannot be checked.
Result<std::optional<InclusionCheck>> LatestCheckpoint(
    const StoreChannel& store, const std::optional<evidence::NoteVerifier>& key,
    EvidenceReport* report) {
  if (!key) {
    report->lines.push_back("inclusion not checked: " + NoLogKeyPinned());
    return std::optional<InclusionCheck>();
  }
  LogClient log(store, kEvidenceDeadline);
  auto served = log.Checkpoint(0);
  if (!served.ok() && served.status().IsNotFound()) {
    report->lines.push_back("inclusion not checked: the log has no checkpoint yet");
    return std::optional<InclusionCheck>();
  }
  if (!served.ok()) return served.status();
  auto opened = OpenServedCheckpoint(*served, *key);
  if (!opened.ok()) {
    report->Problem("checkpoint of " + std::to_string(served->tree_size()) +
                    " leaves: " + opened.status().message() + " (inclusion not checked)");
    return std::optional<InclusionCheck>();
  }
  return std::optional(InclusionCheck(std::move(opened).value(), served->signed_at_us()));
}

// Verifies and prints each record, collecting each one's place in its
// agent's chain and checking its inclusion.
void PrintVerified(const EvidenceQuery& query, const std::vector<v1::StoredEvidence>& stored,
                   ChainCheck* chains, std::optional<InclusionCheck>& inclusion,
                   EvidenceReport* report, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {
      {"AGENT", "SEQ", "HOST", "CHECK", "VERDICT", "COLLECTED", "SIGNATURE", "CONTROLS"}};
  for (const v1::StoredEvidence& s : stored) {
    Checked c{&s, {}, {}, "not-checked"};
    c.problem = VerifyStoredEvidence(s, &c.evidence);
    if (c.problem.empty()) {
      chains->AddVerified(c.evidence, s.record_digest());
      std::string problem;
      if (inclusion) c.inclusion = InclusionName(inclusion->Check(s, c.evidence, &problem));
      if (!problem.empty()) report->Problem(std::move(problem));
    } else {
      ++report->invalid;
      // What the refused record claims to be, so its seq is not also missing.
      if (v1::Evidence claimed; claimed.ParseFromString(s.envelope().payload())) {
        chains->AddRefused(claimed.agent_id(), claimed.seq());
      }
    }
    if (query.format == "jsonl") {
      out << ToJson(c).dump() << '\n';
      continue;
    }
    const v1::Evidence& ev = c.evidence;
    rows.push_back({ev.agent_id().substr(0, 12), std::to_string(ev.seq()), ev.host().hostname(),
                    ev.check_id(), VerdictName(ev.verdict()),
                    platform::FormatRfc3339(evidence::CollectedAtMicros(ev)),
                    c.problem.empty() ? "valid" : "INVALID: " + c.problem, Join(ev.controls())});
  }
  if (query.format == "table") {
    platform::PrintAligned(rows, out);
    out << stored.size() << " record(s)";
    if (!query.control.empty()) out << " for " << query.control;
    out << ", " << (stored.size() - report->invalid) << " with a valid signature\n";
  }
}

// What a listing says about the chains it holds: per agent, the range it
// covers and whether it is whole, then one line per problem.
void ReportChains(const EvidenceQuery& query, const ChainCheck& chains, EvidenceReport* report) {
  if (!query.control.empty()) {
    report->lines.push_back(
        "chains not checked: --control lists a selection of each agent's records, not a range of "
        "its chain (list without --control, or run shokoctl monitor, to check completeness)");
    return;
  }
  ChainCheck::Result result = chains.Check();
  for (const ChainRange& r : result.ranges) {
    std::string line = "agent " + r.agent_id + ": seq 1-" + std::to_string(r.last_seq) + ": ";
    line += r.problems == 0 ? "complete and linked"
                            : std::to_string(r.records) + " record(s) received, " +
                                  std::to_string(r.problems) + " problem(s)";
    report->lines.push_back(std::move(line));
  }
  for (const ChainProblem& p : result.problems) report->Problem(p.ToString());
}

// The listing, verified; its report in `report`.
Status ListAndCheck(const EvidenceQuery& query, EvidenceReport* report, std::ostream& out) {
  SHOKO_ASSIGN_OR_RETURN(auto key, PinnedLogKey(query.log_key));
  SHOKO_ASSIGN_OR_RETURN(StoreChannel store, ConnectToStore(query.connection));
  EvidenceReport notes;
  SHOKO_ASSIGN_OR_RETURN(std::optional<InclusionCheck> inclusion,
                         LatestCheckpoint(store, key, &notes));
  SHOKO_ASSIGN_OR_RETURN(
      std::vector<v1::StoredEvidence> stored,
      ListStored(store, query, inclusion ? inclusion->checkpoint().tree_size : 0));
  ChainCheck chains;
  EvidenceReport included;
  PrintVerified(query, stored, &chains, inclusion, &included, out);
  ReportChains(query, chains, report);
  report->chain_problems = report->problems;
  report->invalid = included.invalid;
  if (inclusion) report->lines.push_back(inclusion->Summary());
  for (auto* part : {&notes, &included}) {
    report->lines.insert(report->lines.end(), part->lines.begin(), part->lines.end());
    report->problems += part->problems;
  }
  return Status::OK();
}

}  // namespace

int RunEvidence(const EvidenceQuery& query, std::ostream& out, std::ostream& err) {
  if (!query.control.empty() && !controls::IsValidControlRef(query.control)) {
    return Fail(Status::InvalidArgument("--control: '" + query.control +
                                        "' is not a control ref (framework:id, e.g. ismap:8.2)"),
                err);
  }
  EvidenceReport report;
  if (Status listed = ListAndCheck(query, &report, out); !listed.ok()) return Fail(listed, err);
  // The report is part of a table's result; JSON lines carry only records.
  for (const std::string& line : report.lines) {
    if (query.format == "table") {
      out << line << "\n";
    } else {
      err << "shokoctl: " << line << "\n";
    }
  }
  if (report.invalid > 0) {
    err << "shokoctl: " << report.invalid << " record(s) failed verification\n";
  }
  if (report.chain_problems > 0) {
    err << "shokoctl: " << report.chain_problems << " problem(s) in the agents' chains\n";
  }
  if (const size_t in_log = report.problems - report.chain_problems; in_log > 0) {
    err << "shokoctl: " << in_log << " problem(s) with the records' inclusion in the log\n";
  }
  return report.invalid + report.problems > 0 ? kExitProblems : kExitOk;
}

void AddEvidenceCommand(CLI::App& app, Commands& commands) {
  auto query = std::make_shared<EvidenceQuery>();
  CLI::App* evidence = AddStoreCommand(
      app, "evidence", "List stored evidence records, verifying each signature locally.",
      &query->connection);
  AddTextOptions(
      evidence,
      {{"--control", &query->control,
        "Only records mapped to this control ref or one below it (e.g. ismap:8.2).", "REF"},
       {"--agent", &query->agent, "Only this agent (its id or a prefix of it).", "ID"}});
  AddFormatOption(evidence, &query->format, {"jsonl", "table"});
  evidence->add_option("--limit", query->limit, "At most N records (default: all).")
      ->type_name("N");
  AddLogKeyOption(evidence, &query->log_key);
  commands.On(evidence, [query](std::ostream& out, std::ostream& err) {
    return RunEvidence(*query, out, err);
  });
}

}  // namespace shoko::cli
