#include "agent/output.h"

#include <cstdio>

#include "collectors/collector.h"
#include "evidence/encoding.h"
#include "evidence/envelope.h"
#include "platform/strings.h"
#include "platform/text_table.h"
#include "platform/time_format.h"

namespace shoko::agent {

nlohmann::ordered_json CheckToJson(const CollectedCheck& check) {
  const collectors::Observation& obs = check.observation;
  nlohmann::ordered_json j;
  j["check_id"] = obs.check_id;
  j["collector"] = check.collector;
  j["controls"] = check.controls;
  j["verdict"] = collectors::VerdictName(obs.verdict);
  j["facts"] = obs.facts;
  j["artifacts"] = nlohmann::ordered_json::array();
  for (const collectors::Artifact& a : obs.artifacts) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", a.mode);
    j["artifacts"].push_back({{"path", a.path},
                              {"sha256", platform::HexEncode(a.sha256)},
                              {"size", a.size},
                              {"mode", mode},
                              {"uid", a.uid},
                              {"gid", a.gid},
                              {"mtime", platform::FormatRfc3339(a.mtime_us)}});
  }
  j["message"] = obs.message;
  return j;
}

void PrintJsonLines(const std::vector<CollectedCheck>& checks, std::ostream& out) {
  for (const CollectedCheck& c : checks) out << CheckToJson(c).dump() << '\n';
}

void PrintTable(const std::vector<CollectedCheck>& checks, std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {{"CHECK", "VERDICT", "CONTROLS", "MESSAGE"}};
  for (const CollectedCheck& c : checks) {
    rows.push_back(
        {c.observation.check_id, std::string(collectors::VerdictName(c.observation.verdict)),
         c.controls.empty() ? "-" : platform::Join(c.controls, ","), c.observation.message});
  }
  platform::PrintAligned(rows, out);
}

bool PrintDsseLines(const std::vector<OutboxRecord>& records, std::ostream& out) {
  for (const OutboxRecord& r : records) {
    v1::Envelope envelope;
    envelope.ParseFromString(r.envelope);
    out << evidence::ToDsseJson(envelope) << '\n';
  }
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace shoko::agent
