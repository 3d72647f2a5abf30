// The store's Merkle log at scale (docs/ledger.md, "The Merkle log"): a log of
// --leaves leaves (default 10^6) in a ledger database, SQLite or PostgreSQL,
// built once and kept for the next run; then inclusion proofs as the
// GetInclusionProofs handler makes them and as a client gets them over gRPC,
// each with p50/p99 latency, against one SHA-256 node hash and the same proof
// from an in-memory tree; and leaves served by GetLeaves (leaves/s) against
// the same leaves read straight from the database.
//
//   shoko_log_bench --db FILE|URL [--leaves N] [--agents A] [benchmark flags]
//
// The records are written by SQL, not uploaded: the ingest benchmark measures
// ingest. The sequencer then integrates them as a store does, with the
// store's default checkpoint schedule, and the build reports its rate.
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "evidence/keys.h"
#include "evidence/log_leaf.h"
#include "evidence/merkle.h"
#include "platform/digest.h"
#include "platform/time_format.h"
#include "shoko/v1/evidence.pb.h"
#include "shoko/v1/log.grpc.pb.h"
#include "store/ledger.h"
#include "store/log_key.h"
#include "store/log_service.h"
#include "store/merkle_log.h"
#include "store/sequencer.h"
#include "store/sql_ledger.h"

namespace shoko {
namespace {

namespace merkle = evidence::merkle;
using platform::SqlParam;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string db;
  uint64_t leaves = 1'000'000;
  int agents = 1000;
};

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "shoko_log_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what, r.status());
  return std::move(r).value();
}

// An envelope of an uploaded record's size (about 1 KB), its signature
// distinct per record; its signature digest, as ingest keeps it, in
// `*signature_digest`.
std::string EnvelopeBytes(std::mt19937_64& random, std::string* signature_digest) {
  v1::Envelope envelope;
  envelope.set_payload(std::string(900, 'p'));
  envelope.set_payload_type("application/vnd.shoko.evidence+protobuf");
  v1::Signature* sig = envelope.add_signatures();
  sig->set_keyid(std::string(64, 'k'));
  std::string bytes(64, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  sig->set_sig(bytes);
  *signature_digest = evidence::SignatureDigest(envelope);
  return envelope.SerializeAsString();
}

// Writes `count` records from index `first` on, agents taking turns (as a
// fleet's uploads interleave), in transactions of 10,000.
void WriteRecords(store::SqlConnection& c, const Options& o, uint64_t first, uint64_t count) {
  constexpr uint64_t kPerTransaction = 10'000;
  const std::string insert =
      "INSERT INTO evidence (agent_id, seq, record_digest, envelope, check_id, verdict, "
      "collected_at_us, received_at_us, key_id, signature_digest) VALUES ($1, $2, $3, $4, "
      "'bench.check', 1, $5, $5, $1, $6)";
  std::mt19937_64 random(first);
  for (uint64_t start = first; start < first + count; start += kPerTransaction) {
    std::vector<platform::SqlStatement> rows;
    for (uint64_t i = start; i < std::min(first + count, start + kPerTransaction); ++i) {
      const std::string agent = platform::Sha256Hex("bench-agent-" + std::to_string(i % o.agents));
      const int64_t seq = static_cast<int64_t>(i / o.agents + 1);
      std::string signature_digest;
      std::string envelope = EnvelopeBytes(random, &signature_digest);
      rows.push_back({insert,
                      {SqlParam::Text(agent), SqlParam::Int(seq),
                       SqlParam::Bytes(platform::Sha256(agent + std::to_string(seq))),
                       SqlParam::Bytes(std::move(envelope)),
                       SqlParam::Int(1'800'000'000'000'000 + static_cast<int64_t>(i)),
                       SqlParam::Bytes(std::move(signature_digest))}});
    }
    store::SqlTransaction tx(c.db.get(), c.dialect->begin, c.writer.get());
    if (Status s = tx.Begin(); !s.ok()) Die("begin", s);
    if (Status s = tx.CommitAfter(std::move(rows)); !s.ok()) Die("write records", s);
  }
}

// Fills the ledger with records up to o.leaves (agents first), then lets a
// sequencer integrate them; prints the rates.
void BuildLog(const Options& o, const store::LogSigner& signer) {
  store::SqlConnection c = Must(store::ConnectLedger(o.db), "open " + o.db);
  auto count = [&](const char* sql) { return Must(c.db->Query(sql), sql).Int(0, 0); };
  const uint64_t have = static_cast<uint64_t>(count("SELECT COUNT(*) FROM evidence"));
  if (have < o.leaves) {
    if (count("SELECT COUNT(*) FROM agents") == 0) {
      std::vector<platform::SqlStatement> agents;
      for (int a = 0; a < o.agents; ++a) {
        agents.push_back(
            {"INSERT INTO agents (agent_id, public_key, registered_at_us, "
             "head_seq, head_digest) VALUES ($1, $2, 0, 0, $3)",
             {SqlParam::Text(platform::Sha256Hex("bench-agent-" + std::to_string(a))),
              SqlParam::Bytes(std::string(32, 'k')), SqlParam::Bytes("")}});
      }
      if (Status s = c.db->RunAll(agents); !s.ok()) Die("write agents", s);
    }
    const auto start = Clock::now();
    WriteRecords(c, o, have, o.leaves - have);
    std::printf("wrote %llu records in %.1f s\n", static_cast<unsigned long long>(o.leaves - have),
                Seconds(start));
  }
  // The store's batch; a checkpoint after every batch (the default schedule
  // signs one per batch under load anyway), so that the last covers all.
  store::SequencerOptions schedule;
  schedule.checkpoint_leaves = 1;
  store::Sequencer sequencer(Must(store::MerkleLog::Open(o.db), "open the log"), &signer, schedule,
                             platform::WallClockMicros);
  const auto start = Clock::now();
  size_t integrated = 0;
  for (;;) {
    store::SequencerStep step = Must(sequencer.Step(), "sequence");
    if (step.integrated == 0) break;
    integrated += step.integrated;
  }
  if (integrated > 0) {
    const double s = Seconds(start);
    std::printf("sequenced %zu leaves in %.1f s: %.0f leaves/s\n", integrated, s, integrated / s);
  }
}

// The log under test: the store's reader of it, the service over it on a
// loopback port, and the same tree held in memory.
struct Bench {
  Options options;
  std::unique_ptr<store::Ledger> ledger;
  std::unique_ptr<store::MerkleLog> log;
  uint64_t size = 0;
  std::vector<std::vector<std::string>> levels;  // levels[l][i]: a complete subtree's hash
  std::unique_ptr<store::LogService> service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::TransparencyLog::Stub> stub;
};
Bench* bench = nullptr;

// Hashes every complete subtree of the stored leaves, as a monitor would.
void HoldTreeInMemory(Bench& b) {
  b.levels.assign(1, {});
  b.levels[0].reserve(b.size);
  Status read = b.log->Leaves(0, b.size, [&](const store::LogLeaf& leaf) {
    b.levels[0].push_back(merkle::LeafHash(*evidence::LeafInput(leaf.fields)));
    return true;
  });
  if (!read.ok()) Die("read the leaves", read);
  while (b.levels.back().size() > 1) {
    const std::vector<std::string>& below = b.levels.back();
    std::vector<std::string> above;
    for (size_t i = 0; i + 1 < below.size(); i += 2) {
      above.push_back(merkle::NodeHash(below[i], below[i + 1]));
    }
    b.levels.push_back(std::move(above));
  }
}

void StartService(Bench& b) {
  b.service = std::make_unique<store::LogService>(b.log.get(), b.ledger.get(), false,
                                                  platform::WallClockMicros);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(b.service.get());
  b.server = builder.BuildAndStart();
  if (!b.server || port == 0) Die("serve", Status::Internal("cannot listen on loopback"));
  b.stub = v1::TransparencyLog::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
}

void Open(Bench& b) {
  b.ledger = Must(store::OpenLedger(b.options.db), "open " + b.options.db);
  const store::LogSigner signer(Must(evidence::SigningKey::Generate(), "key"), "bench.example/log");
  BuildLog(b.options, signer);
  b.log = Must(store::MerkleLog::Open(b.options.db), "open the log");
  std::optional<store::StoredCheckpoint> newest = Must(b.log->Checkpoint(0), "checkpoint");
  if (!newest) Die("checkpoint", Status::NotFound("no checkpoint"));
  b.size = newest->tree_size;
  HoldTreeInMemory(b);
  const merkle::NodeReader memory = [&](int level, uint64_t index) -> Result<std::string> {
    return b.levels[level][index];
  };
  if (Must(merkle::RootHash(b.size, memory), "root") != newest->root_hash) {
    Die("check", Status::Corruption("the in-memory root is not the checkpoint's"));
  }
  std::printf("log of %llu leaves, checkpoint verified against the tree held in memory\n",
              static_cast<unsigned long long>(b.size));
  StartService(b);
}

// Times `each` per iteration at a random leaf; reports p50 and p99 (µs).
template <typename F>
void TimeEach(benchmark::State& state, F each) {
  std::mt19937_64 random(42);
  std::uniform_int_distribution<uint64_t> leaf(0, bench->size - 1);
  std::vector<double> micros;
  for (auto _ : state) {
    const uint64_t index = leaf(random);
    const auto start = Clock::now();
    each(index);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  std::sort(micros.begin(), micros.end());
  auto at = [&](double p) {
    return micros[std::min(micros.size() - 1, size_t(p * micros.size()))];
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
  state.SetItemsProcessed(state.iterations());
}

// The baseline: one node hash, SHA-256 of 65 bytes.
void BM_NodeHash(benchmark::State& state) {
  const std::string left(32, 'l'), right(32, 'r');
  TimeEach(state, [&](uint64_t) { benchmark::DoNotOptimize(merkle::NodeHash(left, right)); });
}

void BM_InclusionProofInMemory(benchmark::State& state) {
  const merkle::NodeReader memory = [](int level, uint64_t index) -> Result<std::string> {
    return bench->levels[level][index];
  };
  TimeEach(state, [&](uint64_t index) {
    benchmark::DoNotOptimize(Must(merkle::InclusionProof(index, bench->size, memory), "proof"));
  });
}

// What GetInclusionProofs asks of the log for one leaf: the newest
// checkpoint's size, the leaf, its proof.
void BM_InclusionProofStore(benchmark::State& state) {
  store::MerkleLog& log = *bench->log;
  TimeEach(state, [&](uint64_t index) {
    const uint64_t size = Must(store::ProvenTreeSize(log, 0), "size");
    benchmark::DoNotOptimize(Must(log.Leaf(index), "leaf"));
    benchmark::DoNotOptimize(Must(log.InclusionProof(index, size), "proof"));
  });
}

// The same through the service, as a client on loopback gets it.
void BM_InclusionProofRpc(benchmark::State& state) {
  TimeEach(state, [&](uint64_t index) {
    grpc::ClientContext ctx;
    v1::InclusionProofsRequest req;
    req.set_leaf_index(index);
    auto reader = bench->stub->GetInclusionProofs(&ctx, req);
    v1::InclusionProof proof;
    if (!reader->Read(&proof)) Die("rpc", Status::Internal("no proof"));
    while (reader->Read(&proof)) {
    }
    if (grpc::Status s = reader->Finish(); !s.ok()) Die("rpc", Status::Internal(s.error_message()));
  });
}

// The baseline of GetLeaves: every leaf read from the database in pages, as
// the handler reads them, with nothing sent.
void BM_LeavesFromTheDatabase(benchmark::State& state) {
  for (auto _ : state) {
    uint64_t n = 0;
    Status read = bench->log->Leaves(0, bench->size, [&](const store::LogLeaf& leaf) {
      benchmark::DoNotOptimize(leaf);
      return ++n > 0;
    });
    if (!read.ok()) Die("leaves", read);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(bench->size));
}

// GetLeaves of the whole tree, read by a client on loopback.
void BM_GetLeavesRpc(benchmark::State& state) {
  for (auto _ : state) {
    grpc::ClientContext ctx;
    auto reader = bench->stub->GetLeaves(&ctx, v1::GetLeavesRequest());
    uint64_t n = 0;
    for (v1::LogLeaf leaf; reader->Read(&leaf);) ++n;
    if (grpc::Status s = reader->Finish(); !s.ok() || n != bench->size) {
      Die("GetLeaves", Status::Internal(s.error_message() + " after " + std::to_string(n)));
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(bench->size));
}

// Wall time throughout: the server's threads work for the client's calls.
BENCHMARK(BM_NodeHash)->UseRealTime();
BENCHMARK(BM_InclusionProofInMemory)->UseRealTime();
BENCHMARK(BM_InclusionProofStore)->UseRealTime();
BENCHMARK(BM_InclusionProofRpc)->UseRealTime();
BENCHMARK(BM_LeavesFromTheDatabase)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_GetLeavesRpc)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

// Prints each figure against its baseline at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      for (const char* counter : {"p50_us", "p99_us", "items_per_second"}) {
        auto it = run.counters.find(counter);
        if (it == run.counters.end()) continue;
        const std::string name = run.benchmark_name();
        figures_[name.substr(0, name.find('/'))][counter] = it->second.value;
      }
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\nlog of %llu leaves (%s)\n", static_cast<unsigned long long>(bench->size),
                store::IsPostgresUrl(bench->options.db) ? "PostgreSQL" : "SQLite");
    const double hash = Get("BM_NodeHash", "p50_us");
    const double memory = Get("BM_InclusionProofInMemory", "p50_us");
    for (const char* name :
         {"BM_InclusionProofInMemory", "BM_InclusionProofStore", "BM_InclusionProofRpc"}) {
      const double p50 = Get(name, "p50_us"), p99 = Get(name, "p99_us");
      if (p50 > 0 && hash > 0 && memory > 0) {
        std::printf(
            "%-26s p50 %8.1f us  p99 %8.1f us  p50 = %6.0f node hashes = %6.1fx in memory\n", name,
            p50, p99, p50 / hash, p50 / memory);
      }
    }
    const double direct = Get("BM_LeavesFromTheDatabase", "items_per_second");
    const double served = Get("BM_GetLeavesRpc", "items_per_second");
    if (direct > 0 && served > 0) {
      std::printf("GetLeaves %.0f leaves/s = %.2f of the database read (%.0f leaves/s)\n", served,
                  served / direct, direct);
    }
  }

 private:
  double Get(const std::string& name, const char* counter) {
    auto it = figures_.find(name);
    if (it == figures_.end() || !it->second.contains(counter)) return 0;
    return it->second[counter];
  }
  std::map<std::string, std::map<std::string, double>> figures_;
};

// Takes this program's own flags out of argv, leaving the benchmark's.
Options ParseOptions(int* argc, char** argv) {
  Options o;
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < *argc;
    if (arg == "--db" && has_value) {
      o.db = argv[++i];
    } else if (arg == "--leaves" && has_value) {
      o.leaves = std::stoull(argv[++i]);
    } else if (arg == "--agents" && has_value) {
      o.agents = std::stoi(argv[++i]);
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  if (o.db.empty() || o.leaves == 0 || o.agents <= 0) {
    std::fprintf(stderr,
                 "usage: shoko_log_bench --db FILE|URL [--leaves N] [--agents A] "
                 "[--benchmark_...]\n");
    std::exit(2);
  }
  return o;
}

}  // namespace
}  // namespace shoko

int main(int argc, char** argv) {
  shoko::Bench bench;
  bench.options = shoko::ParseOptions(&argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  shoko::bench = &bench;
  shoko::Open(bench);
  shoko::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  bench.server->Shutdown();
  return 0;
}
