// Offline bundle verification throughput (records/s) against the raw Ed25519
// verify rate measured in the same run: what `shokoctl verify BUNDLE
// --log-key PUB` costs per record beyond the one signature it must check.
//
//   build/release/bench/shoko_bundle_bench --benchmark_min_time=2
//
// Bundles of 1,000 to 100,000 records from 10 agents (records of about 1 KB
// signed, as the agent's are), each with its inclusion proof in the tree of
// all of them, the checkpoint cosigned by every agent, and a consistency
// proof from half the tree that the auditor's earlier checkpoint is checked
// with.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>

#include "bench/ratio_reporter.h"
#include "evidence/bundle.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "tests/evidence/test_log.h"

namespace shoko {
namespace {

using evidence::Bundle;
using evidence::BundleVerifyOptions;
using evidence::testing::TestLog;

constexpr size_t kAgents = 10;

// One bundle of `records` records, its JSON and what the auditor brings.
struct BundleCase {
  std::string json;
  Bundle bundle;
  std::unique_ptr<BundleVerifyOptions> options;
};

const BundleCase& CaseOf(size_t records) {
  static std::map<size_t, BundleCase> cases;
  auto held = cases.find(records);
  if (held != cases.end()) return held->second;
  TestLog log;
  log.set_message(std::string(700, 'm'));  // the record ≈ 1 KB signed
  std::vector<size_t> agents;
  for (size_t a = 0; a < kAgents; ++a) agents.push_back(log.AddAgent(static_cast<uint8_t>(a + 1)));
  for (size_t i = 0; i < records; ++i) log.Append(agents[i % kAgents]);
  BundleCase c;
  c.bundle = log.MakeBundle(agents);
  std::vector<std::string> lines;
  for (size_t a : agents) lines.push_back(log.Cosignature(a, c.bundle.checkpoint));
  c.bundle.checkpoint = *evidence::AddSignatureLines(c.bundle.checkpoint, lines);
  const uint64_t earlier = records / 2;
  c.bundle.consistency.push_back({earlier, log.ConsistencyProof(earlier)});
  c.json = evidence::EncodeBundle(c.bundle);
  c.options = std::make_unique<BundleVerifyOptions>(BundleVerifyOptions{log.verifier()});
  c.options->previous = log.Checkpoint(earlier);
  c.options->witnesses = kAgents;
  if (!evidence::VerifyBundle(c.bundle, *c.options).ok()) std::abort();
  return cases.emplace(records, std::move(c)).first->second;
}

// Baseline: one Ed25519 verification over a DSSE PAE of a ≈ 1 KB payload.
void BM_RawEd25519Verify(benchmark::State& state) {
  auto key = *evidence::SigningKey::Generate();
  const std::string message = evidence::Pae(evidence::kEvidencePayloadType, std::string(1000, 'x'));
  const std::string sig = *key.Sign(message);
  const evidence::PublicKey pub = key.public_key();
  for (auto _ : state) {
    bool ok = pub.Verify(message, sig);
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawEd25519Verify)->UseRealTime();

// Bundles of 10^3, 10^4 and 10^5 records.
void BundleSizes(benchmark::internal::Benchmark* b) {
  b->ArgName("records")->Arg(1'000)->Arg(10'000)->Arg(100'000);
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

// VerifyBundle on a decoded bundle: signatures, chains, leaves and proofs,
// the checkpoint, consistency and witnesses.
void BM_VerifyBundle(benchmark::State& state) {
  const BundleCase& c = CaseOf(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto report = evidence::VerifyBundle(c.bundle, *c.options);
    if (!report.ok()) state.SkipWithError("the bundle did not verify");
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.bundle.records.size()));
}
BENCHMARK(BM_VerifyBundle)->Apply(BundleSizes);

// From the bundle's bytes: DecodeBundle (strict JSON) then VerifyBundle, as
// shokoctl verify does after reading the file.
void BM_DecodeAndVerifyBundle(benchmark::State& state) {
  const BundleCase& c = CaseOf(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    auto bundle = evidence::DecodeBundle(c.json);
    if (!bundle.ok() || !evidence::VerifyBundle(*bundle, *c.options).ok()) {
      state.SkipWithError("the bundle did not verify");
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.bundle.records.size()));
  state.counters["bytes_per_record"] =
      static_cast<double>(c.json.size()) / static_cast<double>(c.bundle.records.size());
}
BENCHMARK(BM_DecodeAndVerifyBundle)->Apply(BundleSizes);

}  // namespace
}  // namespace shoko

int main(int argc, char** argv) {
  return shoko::bench::RunWithRatios(argc, argv, "BM_RawEd25519Verify/real_time",
                                     "the raw Ed25519 verify rate");
}
