// Sign + chain + outbox append throughput, durability on, against the raw
// OpenSSL Ed25519 signing rate measured in the same run (issue: ≥ 70%).
//
//   build/release/bench/shoko_bench --benchmark_min_time=2
//
// The last lines print each pipeline figure as a ratio of the raw sign rate.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "agent/outbox.h"
#include "agent/recorder.h"
#include "bench/ratio_reporter.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"

namespace shoko {
namespace {

// A facts object of realistic size (the sshd observation is ≈ 1 KB signed).
nlohmann::json Facts(uint64_t n) {
  nlohmann::json effective;
  for (int i = 0; i < 20; ++i)
    effective["keyword" + std::to_string(i)] = "value-" + std::to_string(i);
  return {{"n", n}, {"effective", effective}, {"files", {"/etc/ssh/sshd_config"}}};
}

// Baseline: one Ed25519 signature over a DSSE PAE of a ≈ 1 KB payload.
void BM_RawEd25519Sign(benchmark::State& state) {
  auto key = *evidence::SigningKey::Generate();
  const std::string message = evidence::Pae(evidence::kEvidencePayloadType, std::string(1000, 'x'));
  for (auto _ : state) {
    auto sig = key.Sign(message);
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawEd25519Sign)->UseRealTime();

// The recorder's whole path for one sweep of `range(0)` changed checks, signed
// on `range(1)` cores (0: all): build
// each record, digest its facts, serialize once, sign, chain, then chain.head
// (fsync) and one SQLite transaction (WAL, synchronous=FULL).
void BM_RecordSweep(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  const size_t threads = static_cast<size_t>(state.range(1));
  const std::string dir =
      std::filesystem::temp_directory_path() / ("shoko-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    auto key = *evidence::SigningKey::Generate();
    auto outbox =
        agent::Outbox::Open(dir, key.public_key().KeyId(), {uint64_t{1} << 40, uint64_t{1} << 40});
    agent::RecordContext context;
    context.agent_id = key.public_key().KeyId();
    context.host.hostname = "bench";
    context.signing_threads = threads;
    agent::Recorder recorder(context, outbox->get());
    std::vector<agent::CollectedCheck> checks(batch);
    for (size_t i = 0; i < batch; ++i) {
      checks[i].collector = "bench";
      checks[i].observation.check_id = "bench.check" + std::to_string(i);
      checks[i].observation.verdict = collectors::Verdict::kPass;
    }
    uint64_t sweep = 0;
    int64_t now = 1'700'000'000'000'000;
    size_t records = 0;
    for (auto _ : state) {
      state.PauseTiming();
      ++sweep;
      for (auto& c : checks) c.observation.facts = Facts(sweep);  // every check changed
      state.ResumeTiming();
      auto stats = recorder.RecordSweep(checks, key, ++now);
      if (!stats.ok()) {
        state.SkipWithError(stats.status().ToString().c_str());
        break;
      }
      records += stats->recorded;
    }
    state.SetItemsProcessed(static_cast<int64_t>(records));
  }
  std::filesystem::remove_all(dir);
}
// Sweeps of 1 to 256 changed checks; signing on one core, then on all.
BENCHMARK(BM_RecordSweep)
    ->ArgNames({"checks", "signing_threads"})
    ->ArgsProduct({{1, 16, 64, 256}, {1}})
    ->Args({64, 0})
    ->Args({256, 0})
    ->UseRealTime();

}  // namespace
}  // namespace shoko

int main(int argc, char** argv) {
  return shoko::bench::RunWithRatios(argc, argv, "BM_RawEd25519Sign/real_time",
                                     "the raw Ed25519 sign rate");
}
