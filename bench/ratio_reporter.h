// Google Benchmark's console report, then each benchmark's items/s as a share
// of a baseline measured in the same run: the form bench/README.md gives
// every figure in.
#ifndef SHOKO_BENCH_RATIO_REPORTER_H_
#define SHOKO_BENCH_RATIO_REPORTER_H_

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace shoko::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // `baseline`: the benchmark's full name ("BM_RawEd25519Sign/real_time");
  // `what`: how the last lines name it ("the raw Ed25519 sign rate").
  RatioReporter(std::string baseline, std::string what)
      : baseline_(std::move(baseline)), what_(std::move(what)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      auto it = run.counters.find("items_per_second");
      if (it != run.counters.end()) rates_[run.benchmark_name()] = it->second.value;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    auto raw = rates_.find(baseline_);
    if (raw == rates_.end() || raw->second <= 0) return;
    std::printf("\nrecords/s as a share of %s (%.0f/s):\n", what_.c_str(), raw->second);
    for (const auto& [name, rate] : rates_) {
      if (name == raw->first) continue;
      std::printf("  %-44s %10.0f records/s  %5.1f%%\n", name.c_str(), rate,
                  100.0 * rate / raw->second);
    }
  }

 private:
  std::string baseline_;
  std::string what_;
  std::map<std::string, double> rates_;
};

// Runs the benchmarks named on the command line with a RatioReporter.
inline int RunWithRatios(int argc, char** argv, std::string baseline, std::string what) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter(std::move(baseline), std::move(what));
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace shoko::bench

#endif  // SHOKO_BENCH_RATIO_REPORTER_H_
