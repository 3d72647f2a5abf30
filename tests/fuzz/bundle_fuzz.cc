// Bundles (evidence/bundle.h) from arbitrary bytes: DecodeBundle refuses with
// a message or reads a bundle that encodes back to one that decodes the same;
// VerifyBundle then reports, never crashes. Verified against the standard test
// log's key with its earlier checkpoint kept and one witness required
// (tests/evidence/test_log.h), so that the seeds in tests/fixtures/evidence-log
// reach every check.
#include <google/protobuf/stubs/logging.h>

#include "evidence/bundle.h"
#include "tests/evidence/test_log.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using namespace shoko::evidence;

const BundleVerifyOptions& Options() {
  static const BundleVerifyOptions* options = [] {
    // Mangled payloads make protobuf log bad UTF-8 for every input; quietly.
    google::protobuf::SetLogHandler(nullptr);
    const testing::StandardLog log;
    auto* o = new BundleVerifyOptions{log.log.verifier()};
    o->previous = log.log.Checkpoint(testing::StandardLog::kEarlierSize);
    o->witnesses = 1;
    return o;
  }();
  return *options;
}

void Check(bool holds) {
  if (!holds) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bundle = DecodeBundle(FuzzText(data, size));
  if (!bundle.ok()) {
    Check(bundle.status().code() == shoko::Status::Code::kInvalidArgument &&
          !bundle.status().message().empty());
    return 0;
  }
  const std::string encoded = EncodeBundle(*bundle);
  auto again = DecodeBundle(encoded);
  Check(again.ok() && EncodeBundle(*again) == encoded);
  const BundleReport report = VerifyBundle(*bundle, Options());
  Check(report.records == bundle->records.size() && report.valid_records <= report.records);
  Check(report.agents == bundle->agents.size() && report.witnesses <= report.agents);
  if (report.ok()) Check(report.checkpoint.has_value() && report.witnesses >= 1);
  for (const Finding& f : report.findings) Check(!DescribeFinding(f).empty());
  return 0;
}
