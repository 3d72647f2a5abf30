// The baselines `shokoctl monitor`'s mirroring rate is measured against, in
// the same run (bench/auditor_bench.sh): the latest checkpoint's leaves
// fetched from the same store with GetLeaves in the monitor's chunks, doing
// nothing with them; then each leaf's input rebuilt and SHA-256 leaf-hashed,
// in memory, as the monitor must at the least.
//
//   shoko_mirror_baseline --store HOST:PORT
//
// Prints one line: leaves=N getleaves_seconds=S hash_seconds=H
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <vector>

#include "cli/monitor_command.h"
#include "evidence/log_leaf.h"
#include "evidence/merkle.h"
#include "shoko/v1/log.grpc.pb.h"

namespace {

using namespace shoko;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shoko_mirror_baseline: raw GetLeaves and leaf hashing of a store's log"};
  std::string store;
  app.add_option("--store", store)->required();
  CLI11_PARSE(app, argc, argv);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  auto stub = v1::TransparencyLog::NewStub(
      grpc::CreateCustomChannel(store, grpc::InsecureChannelCredentials(), args));
  v1::Checkpoint checkpoint;
  {
    grpc::ClientContext ctx;
    grpc::Status s = stub->GetCheckpoint(&ctx, v1::GetCheckpointRequest(), &checkpoint);
    if (!s.ok()) {
      std::fprintf(stderr, "GetCheckpoint: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  const uint64_t size = checkpoint.tree_size();
  std::vector<v1::LogLeaf> leaves;
  leaves.reserve(size);
  const auto fetch = Clock::now();
  for (uint64_t start = 0; start < size; start += cli::kMirrorChunk) {
    grpc::ClientContext ctx;
    v1::GetLeavesRequest request;
    request.set_start(start);
    request.set_end(std::min(size, start + cli::kMirrorChunk));
    auto reader = stub->GetLeaves(&ctx, request);
    v1::LogLeaf leaf;
    while (reader->Read(&leaf)) leaves.push_back(leaf);
    if (grpc::Status s = reader->Finish(); !s.ok()) {
      std::fprintf(stderr, "GetLeaves: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  const double fetch_seconds = Since(fetch);
  const auto hash = Clock::now();
  size_t zeros = 0;  // keeps the hashing from being optimised away
  for (const v1::LogLeaf& l : leaves) {
    auto input = evidence::LeafInput(
        {l.agent_id(), l.seq(), l.record_digest(), l.signature_digest(), l.received_at_us()});
    if (input.ok()) zeros += evidence::merkle::LeafHash(*input)[0] == 0;
  }
  const double hash_seconds = Since(hash);
  std::printf("leaves=%zu getleaves_seconds=%.3f hash_seconds=%.3f zero_first_bytes=%zu\n",
              leaves.size(), fetch_seconds, hash_seconds, zeros);
  return leaves.size() == size ? 0 : 1;
}
