#include "agent/chain_state.h"

#include <nlohmann/json.hpp>

#include "evidence/encoding.h"
#include "platform/local_files.h"

namespace shoko::agent {

Result<std::optional<ChainStateFile>> LoadChainState(const std::string& path) {
  auto text = platform::ReadLocalFile(path, 64 * 1024);
  if (!text.ok()) {
    if (text.status().IsNotFound()) return std::optional<ChainStateFile>();
    return text.status();
  }
  auto bad = [&](const std::string& why) {
    return Status::Corruption(path + ": " + why + "; it holds the agent's chain head");
  };
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  ChainStateFile state;
  for (const char* key : {"agent_id", "seq", "digest", "key_id"}) {
    if (!j.contains(key)) return bad(std::string("missing '") + key + "'");
  }
  if (!j["agent_id"].is_string() || !j["seq"].is_number_unsigned() || !j["digest"].is_string() ||
      !j["key_id"].is_string()) {
    return bad("a field has the wrong type");
  }
  state.agent_id = j["agent_id"].get<std::string>();
  state.position.head.seq = j["seq"].get<uint64_t>();
  auto digest = platform::HexDecode(j["digest"].get<std::string>());
  if (!digest.ok() || digest->size() != evidence::kDigestBytes)
    return bad("digest is not 32 bytes of hex");
  state.position.head.digest = std::move(digest).value();
  state.position.key_id = j["key_id"].get<std::string>();
  if (j.contains("acked_seq")) {
    if (!j["acked_seq"].is_number_unsigned()) return bad("acked_seq is not a number");
    state.acked_seq = j["acked_seq"].get<uint64_t>();
  }
  return std::optional<ChainStateFile>(std::move(state));
}

Status SaveChainState(const std::string& path, const ChainStateFile& state) {
  nlohmann::ordered_json j;
  j["agent_id"] = state.agent_id;
  j["seq"] = state.position.head.seq;
  j["digest"] = platform::HexEncode(state.position.head.digest);
  j["key_id"] = state.position.key_id;
  j["acked_seq"] = state.acked_seq;
  return platform::WriteFileAtomic(path, j.dump() + "\n", 0600);
}

}  // namespace shoko::agent
