#include "cli/evidence_command.h"

#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/chain_check.h"
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
  std::string problem;  // empty when everything verifies
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

// The records the store lists for `query`, as it sent them.
Result<std::vector<v1::StoredEvidence>> ListStored(const EvidenceQuery& query) {
  SHOKO_ASSIGN_OR_RETURN(StoreChannel store, ConnectToStore(query.connection));
  v1::ListEvidenceRequest request;
  request.set_control_ref(query.control);
  request.set_agent_id(query.agent);
  request.set_limit(query.limit);
  std::vector<v1::StoredEvidence> stored;
  SHOKO_RETURN_IF_ERROR(
      ListStoredEvidence(store, request, kEvidenceDeadline, [&](const v1::StoredEvidence& item) {
        stored.push_back(item);
        return Status::OK();
      }));
  return stored;
}

// Verifies and prints each record; returns how many failed verification and
// collects each record's place in its agent's chain.
size_t PrintVerified(const EvidenceQuery& query, const std::vector<v1::StoredEvidence>& stored,
                     ChainCheck* chains, std::ostream& out) {
  size_t invalid = 0;
  std::vector<std::vector<std::string>> rows = {
      {"AGENT", "SEQ", "HOST", "CHECK", "VERDICT", "COLLECTED", "SIGNATURE", "CONTROLS"}};
  for (const v1::StoredEvidence& s : stored) {
    Checked c{&s, {}, {}};
    c.problem = VerifyStoredEvidence(s, &c.evidence);
    if (c.problem.empty()) {
      chains->AddVerified(c.evidence, s.record_digest());
    } else {
      ++invalid;
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
    out << ", " << (stored.size() - invalid) << " with a valid signature\n";
  }
  return invalid;
}

// What a listing says about the chains it holds: per agent, the range it
// covers and whether it is whole, then one line per problem. Returns the
// number of problems.
size_t ReportChains(const EvidenceQuery& query, const ChainCheck& chains,
                    std::vector<std::string>* lines) {
  if (!query.control.empty()) {
    lines->push_back(
        "chains not checked: --control lists a selection of each agent's records, not a range of "
        "its chain (list without --control, or run shokoctl monitor, to check completeness)");
    return 0;
  }
  ChainCheck::Result result = chains.Check();
  for (const ChainRange& r : result.ranges) {
    std::string line = "agent " + r.agent_id + ": seq 1-" + std::to_string(r.last_seq) + ": ";
    line += r.problems == 0 ? "complete and linked"
                            : std::to_string(r.records) + " record(s) received, " +
                                  std::to_string(r.problems) + " problem(s)";
    lines->push_back(std::move(line));
  }
  for (const ChainProblem& p : result.problems) lines->push_back(p.ToString());
  return result.problems.size();
}

}  // namespace

int RunEvidence(const EvidenceQuery& query, std::ostream& out, std::ostream& err) {
  if (!query.control.empty() && !controls::IsValidControlRef(query.control)) {
    return Fail(Status::InvalidArgument("--control: '" + query.control +
                                        "' is not a control ref (framework:id, e.g. ismap:8.2)"),
                err);
  }
  auto stored = ListStored(query);
  if (!stored.ok()) return Fail(stored.status(), err);
  ChainCheck chains;
  const size_t invalid = PrintVerified(query, *stored, &chains, out);
  std::vector<std::string> report;
  const size_t chain_problems = ReportChains(query, chains, &report);
  report.push_back("inclusion not checked: no log key pinned (--log-key FILE, or log_key in " +
                   ShokoctlConfigPath() + ")");
  // The report is part of a table's result; JSON lines carry only records.
  for (const std::string& line : report) {
    if (query.format == "table") {
      out << line << "\n";
    } else {
      err << "shokoctl: " << line << "\n";
    }
  }
  if (invalid > 0) err << "shokoctl: " << invalid << " record(s) failed verification\n";
  if (chain_problems > 0) {
    err << "shokoctl: " << chain_problems << " problem(s) in the agents' chains\n";
  }
  return invalid + chain_problems > 0 ? kExitProblems : kExitOk;
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
  commands.On(evidence, [query](std::ostream& out, std::ostream& err) {
    return RunEvidence(*query, out, err);
  });
}

}  // namespace shoko::cli
