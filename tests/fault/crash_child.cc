// The child of the crash test: an agent recorder that records sweeps as fast
// as it can into STATE_DIR and prints "recorded SEQ" once each sweep's
// transaction has committed. The driver kills it at random moments.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "agent/identity.h"
#include "agent/outbox.h"
#include "agent/recorder.h"
#include "agent/state_dir.h"
#include "platform/local_files.h"

int main(int argc, char** argv) {
  using namespace shoko;
  if (argc != 2) {
    std::fprintf(stderr, "usage: shoko_crash_child STATE_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  if (Status s = platform::MakeDirs(dir, 0700); !s.ok()) {
    std::fprintf(stderr, "crash child: %s\n", s.ToString().c_str());
    return 1;
  }
  const agent::StateDir files(dir);
  auto lock = platform::FileLock::Acquire(files.lock_file());
  auto identity = agent::LoadIdentity(files);
  if (!lock.ok() || !identity.ok()) {
    std::fprintf(stderr, "crash child: %s\n",
                 (!lock.ok() ? lock.status() : identity.status()).ToString().c_str());
    return 1;
  }
  auto outbox = agent::Outbox::Open(dir, identity->agent_id, {});
  if (!outbox.ok()) {
    std::fprintf(stderr, "crash child: %s\n", outbox.status().ToString().c_str());
    return 1;
  }
  agent::RecordContext context;
  context.agent_id = identity->agent_id;
  context.host.hostname = "crash-child";
  agent::Recorder recorder(context, outbox->get());
  const uint64_t start = (*outbox)->Position().head.seq;
  for (uint64_t sweep = 0;; ++sweep) {
    // Facts change every sweep, so every check is recorded every time.
    std::vector<agent::CollectedCheck> checks(2);
    checks[0].collector = checks[1].collector = "fault";
    checks[0].observation.check_id = "fault.subject";
    checks[0].observation.facts = {{"start", start}, {"sweep", sweep}};
    checks[1].observation.check_id = "fault.subject.rule";
    checks[1].observation.observation_check_id = "fault.subject";
    checks[1].observation.verdict =
        sweep % 2 ? collectors::Verdict::kPass : collectors::Verdict::kFail;
    checks[1].observation.facts = {{"sweep", sweep}};
    auto stats =
        recorder.RecordSweep(checks, identity->key, 1'700'000'000'000'000 + int64_t(sweep));
    if (!stats.ok()) {
      std::fprintf(stderr, "crash child: %s\n", stats.status().ToString().c_str());
      return 1;
    }
    // write(2), not stdio: what the driver reads was committed before it.
    std::string line = "recorded " + std::to_string((*outbox)->Position().head.seq) + "\n";
    if (::write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 1;
  }
}
