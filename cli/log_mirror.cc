#include "cli/log_mirror.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/chain_check.h"
#include "evidence/encoding.h"
#include "evidence/log_leaf.h"

namespace shoko::cli {
namespace {

using Json = nlohmann::json;
using evidence::merkle::CompactRange;

constexpr std::string_view kFormat = "shoko-monitor/v1";

std::string LeavesPath(const std::string& state) { return state + ".leaves"; }
std::string CheckpointsPath(const std::string& state) { return state + ".checkpoints"; }

Json CheckpointJson(const MirroredCheckpoint& cp) {
  return {{"note", cp.note},
          {"tree_size", cp.tree_size},
          {"root_hash", evidence::Base64Encode(cp.root_hash)},
          {"signed_at_us", cp.signed_at_us}};
}

// Bytes from base64 in the snapshot; a json::exception names what is wrong.
std::string Bytes(const Json& j) {
  auto bytes = evidence::Base64Decode(j.get<std::string>());
  if (!bytes.ok()) throw std::invalid_argument("bad base64: " + bytes.status().message());
  return *bytes;
}

MirroredCheckpoint CheckpointFromJson(const Json& j) {
  return {j.at("note").get<std::string>(), j.at("tree_size").get<uint64_t>(),
          Bytes(j.at("root_hash")), j.at("signed_at_us").get<int64_t>()};
}

// Appends `data` to `path` and makes it durable.
Status AppendDurably(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno("open " + path, errno);
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Status::FromErrno("write " + path, err);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  int rc = ::fdatasync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::OK() : Status::FromErrno("fsync " + path, err);
}

}  // namespace

Result<LogMirror> LogMirror::Open(const std::string& state_path, const std::string& log_key) {
  SHOKO_ASSIGN_OR_RETURN(platform::FileLock lock,
                         platform::FileLock::Acquire(state_path + ".lock"));
  LogMirror mirror(state_path, std::move(lock));
  SHOKO_RETURN_IF_ERROR(mirror.Load(log_key));
  SHOKO_RETURN_IF_ERROR(mirror.TrimLeaves(mirror.pending_.size));
  return mirror;
}

Status LogMirror::Load(const std::string& log_key) {
  auto text = platform::ReadLocalFile(path_, size_t{1} << 30);
  if (!text.ok()) {
    if (!text.status().IsNotFound()) return text.status();
    log_key_ = log_key;
    struct stat st {};
    if (::stat(LeavesPath(path_).c_str(), &st) == 0 && st.st_size > 0) {
      return Status::Corruption(LeavesPath(path_) + " holds leaves but " + path_ +
                                " is missing: restore it, or move both away to start again");
    }
    return Status::OK();
  }
  try {
    Json j = Json::parse(*text);
    if (j.at("format") != kFormat) {
      return Status::InvalidArgument(path_ + ": format: not " + std::string(kFormat));
    }
    log_key_ = j.at("log_key").get<std::string>();
    if (!j.at("checkpoint").is_null()) checkpoint_ = CheckpointFromJson(j.at("checkpoint"));
    for (auto [key, tree] : {std::pair{"verified", &verified_}, std::pair{"pending", &pending_}}) {
      const Json& t = j.at(key);
      tree->size = t.at("size").get<uint64_t>();
      std::map<std::pair<int, uint64_t>, std::string> nodes;
      for (const Json& n : t.at("edge")) {
        tree->edge.push_back({n.at(0).get<int>(), n.at(1).get<uint64_t>(), Bytes(n.at(2))});
        nodes[{tree->edge.back().level, tree->edge.back().index}] = tree->edge.back().hash;
      }
      auto range = CompactRange::FromNodes(tree->size, [&](int level, uint64_t index) {
        auto it = nodes.find({level, index});
        if (it == nodes.end()) return Result<std::string>(Status::NotFound("no such edge node"));
        return Result<std::string>(it->second);
      });
      if (!range.ok()) return range.status().WithContext(path_ + ": " + key + ".edge");
      tree->range = std::move(range).value();
      for (const auto& [id, a] : t.at("agents").items()) {
        tree->agents[id] = {a.at(0).get<uint64_t>(), Bytes(a.at(1)), a.at(2).get<int64_t>(),
                            a.at(3).get<uint64_t>()};
      }
      tree->problems = t.at("problems").get<std::vector<std::string>>();
    }
  } catch (const std::exception& e) {
    return Status::Corruption(path_ + ": not a monitor state: " + e.what());
  }
  if (log_key_ != log_key) {
    return Status::InvalidArgument(path_ + " mirrors the log of key " + log_key_ +
                                   ", not of the pinned key " + log_key +
                                   ": pin that key, or give another --state");
  }
  return Status::OK();
}

Status LogMirror::WriteSnapshot() const {
  Json j;
  j["format"] = kFormat;
  j["log_key"] = log_key_;
  j["checkpoint"] = checkpoint_ ? CheckpointJson(*checkpoint_) : Json(nullptr);
  for (auto [key, tree] : {std::pair{"verified", &verified_}, std::pair{"pending", &pending_}}) {
    Json edge = Json::array(), agents = Json::object();
    for (const CompactRange::Node& n : tree->edge) {
      edge.push_back({n.level, n.index, evidence::Base64Encode(n.hash)});
    }
    for (const auto& [id, a] : tree->agents) {
      agents[id] = {a.last_seq, evidence::Base64Encode(a.last_record_digest), a.last_received_at_us,
                    a.leaves};
    }
    j[key] = {
        {"size", tree->size}, {"edge", edge}, {"agents", agents}, {"problems", tree->problems}};
  }
  return platform::WriteFileAtomic(path_, j.dump() + "\n", 0600);
}

Status LogMirror::TrimLeaves(uint64_t size) {
  const std::string leaves = LeavesPath(path_);
  struct stat st {};
  if (::stat(leaves.c_str(), &st) != 0) {
    if (errno == ENOENT && size == 0) return Status::OK();
    return Status::FromErrno(leaves, errno);
  }
  const uint64_t want = size * kMirrorLeafBytes;
  const uint64_t have = static_cast<uint64_t>(st.st_size);
  if (have < want) {
    return Status::Corruption(leaves + " holds " + std::to_string(have / kMirrorLeafBytes) +
                              " leaves, fewer than the " + std::to_string(size) + " " + path_ +
                              " counts");
  }
  if (have > want && ::truncate(leaves.c_str(), static_cast<off_t>(want)) != 0) {
    return Status::FromErrno("truncate " + leaves, errno);
  }
  return Status::OK();
}

Result<std::optional<std::string>> LogMirror::Append(const v1::LogLeaf& leaf) {
  if (leaf.leaf_index() != pending_.size) {
    return Status::InvalidArgument("the store sent leaf " + std::to_string(leaf.leaf_index()) +
                                   " where leaf " + std::to_string(pending_.size) + " belongs");
  }
  evidence::LogLeafFields fields{leaf.agent_id(), leaf.seq(), leaf.record_digest(),
                                 leaf.signature_digest(), leaf.received_at_us()};
  auto input = evidence::LeafInput(fields);
  if (!input.ok()) return input.status().WithContext("leaf " + std::to_string(leaf.leaf_index()));
  std::vector<CompactRange::Node> nodes = pending_.range.Append(evidence::merkle::LeafHash(*input));
  // The top node completed replaces the subtrees it was made of.
  pending_.edge.resize(pending_.edge.size() + 1 - nodes.size());
  pending_.edge.push_back(std::move(nodes.back()));
  unsaved_.append(*input, input->size() - kMirrorLeafBytes, kMirrorLeafBytes);
  ++pending_.size;

  MirroredAgent& agent = pending_.agents[leaf.agent_id()];
  const std::string at = "leaf " + std::to_string(leaf.leaf_index());
  std::optional<ChainProblem> problem;
  if (leaf.seq() > agent.last_seq + 1) {
    problem = ChainProblem{leaf.agent_id(), agent.last_seq + 1, leaf.seq() - 1,
                           "missing (" + at + " jumps to seq " + std::to_string(leaf.seq()) + ")"};
  } else if (leaf.seq() == agent.last_seq && leaf.record_digest() == agent.last_record_digest) {
    problem = ChainProblem{leaf.agent_id(), leaf.seq(), leaf.seq(),
                           "duplicate: " + at + " repeats the record before it"};
  } else if (leaf.seq() <= agent.last_seq) {
    problem = ChainProblem{leaf.agent_id(), leaf.seq(), leaf.seq(),
                           "fork: " + at +
                               " is another leaf at a seq the log holds (it holds "
                               "through seq " +
                               std::to_string(agent.last_seq) + ")"};
  }
  if (leaf.seq() > agent.last_seq) {
    agent.last_seq = leaf.seq();
    agent.last_record_digest = leaf.record_digest();
  }
  agent.last_received_at_us = std::max(agent.last_received_at_us, leaf.received_at_us());
  ++agent.leaves;
  if (!problem) return std::optional<std::string>();
  pending_.problems.push_back(problem->ToString());
  return std::optional<std::string>(pending_.problems.back());
}

Status LogMirror::SaveLeaves() {
  if (unsaved_.empty()) return Status::OK();
  SHOKO_RETURN_IF_ERROR(AppendDurably(LeavesPath(path_), unsaved_));
  unsaved_.clear();
  return Status::OK();
}

Status LogMirror::SavePending() {
  SHOKO_RETURN_IF_ERROR(SaveLeaves());
  return WriteSnapshot();
}

Status LogMirror::Verify(MirroredCheckpoint checkpoint) {
  SHOKO_RETURN_IF_ERROR(SaveLeaves());
  SHOKO_RETURN_IF_ERROR(
      AppendDurably(CheckpointsPath(path_), CheckpointJson(checkpoint).dump() + "\n"));
  checkpoint_ = std::move(checkpoint);
  verified_ = pending_;
  return WriteSnapshot();
}

Status LogMirror::DiscardPending() {
  unsaved_.clear();
  pending_ = verified_;
  SHOKO_RETURN_IF_ERROR(TrimLeaves(verified_.size));
  return WriteSnapshot();
}

void LogMirror::AddProblem(std::string problem) {
  verified_.problems.push_back(problem);
  pending_.problems.push_back(std::move(problem));
}

}  // namespace shoko::cli
