// How `shoko-agent collect` prints what it observed (docs/interfaces.md,
// "shoko-agent").
#ifndef SHOKO_AGENT_OUTPUT_H_
#define SHOKO_AGENT_OUTPUT_H_

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "agent/outbox.h"
#include "agent/sweep.h"

namespace shoko::agent {

// {check_id, collector, controls, verdict, facts, artifacts, message}.
nlohmann::ordered_json CheckToJson(const CollectedCheck& check);

// One JSON object per line.
void PrintJsonLines(const std::vector<CollectedCheck>& checks, std::ostream& out);
// An aligned table: CHECK, VERDICT, CONTROLS, MESSAGE.
void PrintTable(const std::vector<CollectedCheck>& checks, std::ostream& out);
// Signed records, one DSSE JSON object per line, flushed; false when `out`
// failed.
bool PrintDsseLines(const std::vector<OutboxRecord>& records, std::ostream& out);

}  // namespace shoko::agent

#endif  // SHOKO_AGENT_OUTPUT_H_
