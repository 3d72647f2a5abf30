// Collectors observe one subject of a host and judge it (docs/architecture.md,
// "collectors/").
//
// A collector is one self-registering unit: its .cc file defines a Collector
// subclass and registers it with its declaration (collectors/contract.h)
// through SHOKO_REGISTER_COLLECTOR, so adding a collector never edits a
// central list. It reads the host only through platform::Env and records
// metadata, never secret values.
#ifndef SHOKO_COLLECTORS_COLLECTOR_H_
#define SHOKO_COLLECTORS_COLLECTOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/common/sweep_cache.h"
#include "collectors/contract.h"
#include "controls/baseline.h"
#include "platform/env.h"

namespace shoko::collectors {

enum class Verdict { kPass, kFail, kNotApplicable, kError, kInfo };

// "pass", "fail", "not_applicable", "error", "info" (docs/evidence-format.md).
std::string_view VerdictName(Verdict v);

// A file a verdict rests on: metadata and digest, never its content.
struct Artifact {
  std::string path;    // host path, as seen from the root
  std::string sha256;  // 32 raw bytes; empty when the file could not be read
  uint64_t size = 0;
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_us = 0;
};

// One judged observation: an observation record (check_id "family.subject") or a
// rule record ("family.subject.rule") that answers one baseline question about it.
struct Observation {
  std::string check_id;
  Verdict verdict = Verdict::kInfo;
  nlohmann::json facts = nlohmann::json::object();
  std::vector<Artifact> artifacts;
  std::string message;
  // For a rule record: the check_id of the observation it judges.
  std::string observation_check_id;
  // The baseline values this verdict used (null when none).
  nlohmann::json expected;
  // Control refs the check carries itself (declarative checks); the mapping's
  // entry for the check_id, when it has one, takes precedence.
  std::vector<std::string> controls;
};

// What collectors carry from one sweep to the next, one JSON object per
// collector: when a pending update was first seen, the last answer of an
// expensive lookup and what it was computed from. The agent keeps it in its
// state directory; `collect --once` starts from an empty one.
class SweepMemory {
 public:
  // The collector's object, created empty on first use.
  nlohmann::json& For(const std::string& collector) {
    nlohmann::json& slot = state_[collector];
    if (!slot.is_object()) slot = nlohmann::json::object();
    return slot;
  }
  const nlohmann::json& All() const { return state_; }
  void Replace(nlohmann::json all) {
    state_ = all.is_object() ? std::move(all) : nlohmann::json::object();
  }

 private:
  nlohmann::json state_ = nlohmann::json::object();
};

// Runs a registered helper (collectors/helper.h) for a root directory and
// returns what it printed. The agent runs helpers in a short-lived child
// process, so that their memory goes back to the OS when they end.
class HelperRunner {
 public:
  virtual ~HelperRunner() = default;
  virtual Result<std::string> Run(const std::string& helper, const std::string& root) const = 0;
};

struct CollectContext {
  const platform::Env& env;
  const controls::Baseline& baseline;
  // Never null during a sweep (RunSweep supplies an empty one when needed).
  SweepMemory* memory = nullptr;
  // Null: helpers run in this process.
  const HelperRunner* helpers = nullptr;
  // Host files parsed once per sweep; a new context starts empty.
  std::shared_ptr<SweepCache> cache = std::make_shared<SweepCache>();
};

// The text of host file `path` (at most 16 MiB), read once per sweep; what
// reading it failed with (NotFound when absent) otherwise.
const Result<std::string>& ReadOnce(const CollectContext& ctx, const std::string& path);

class Collector {
 public:
  virtual ~Collector() = default;
  // Observes the host. Never throws: problems become kError observations whose
  // message names the file and line at fault.
  virtual std::vector<Observation> Collect(const CollectContext& ctx) const = 0;
};

// Every compiled-in collector, by name ("access.sshd"), with its declaration.
class CollectorRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Collector>()>;

  static CollectorRegistry& Global();

  // Called by SHOKO_REGISTER_COLLECTOR during static initialisation.
  bool Add(CollectorDeclaration declaration, Factory factory);
  // Sorted names of every registered collector.
  std::vector<std::string> Names() const;
  // Names selected by `selector`: a collector name ("access.sshd") or a family
  // ("access"). Empty when nothing matches.
  std::vector<std::string> Select(std::string_view selector) const;
  std::unique_ptr<Collector> Create(std::string_view name) const;
  // The declaration of collector `name`, or null.
  const CollectorDeclaration* Find(std::string_view name) const;

  // Answered from the declarations:
  // every check_id with a verdict (each must be mapped to controls), sorted;
  std::vector<std::string> VerdictChecks() const;
  // every check_id emitted (observations and rule records), sorted;
  std::vector<std::string> CheckIds() const;
  // what a baseline may hold: every declared check_id with the keys it reads.
  controls::BaselineSchema BaselineSchema() const;

 private:
  struct Entry {
    CollectorDeclaration declaration;
    Factory factory;
  };
  // The ids `ids` gives for every declaration, sorted.
  std::vector<std::string> AllOf(std::vector<std::string> (CollectorDeclaration::*ids)()
                                     const) const;
  std::vector<Entry> entries_;  // sorted by name
};

// A rule record (docs/evidence-format.md, "Check and rule records"):
// `check_id` judging the observation whose check_id is `observation`.
Observation RuleRecord(std::string check_id, std::string observation, Verdict verdict,
                       std::string message);

// A kError observation for `check_id` carrying `status`'s message: what a
// collector records when it cannot observe or judge.
Observation ErrorRecord(const std::string& check_id, const Status& status);

// `observation` and a rule record for each of `rules`, all with one verdict
// and message: what a collector records when it cannot observe at all (the
// software is absent, or its configuration does not load).
std::vector<Observation> SameForAll(Observation observation, const std::vector<std::string>& rules,
                                    Verdict verdict, const std::string& message);

// Reads the configuration files one observation rests on: each file read
// becomes one of its artifacts. An absent file is "not configured"; one that
// cannot be read (unreadable, not a regular file, too large) leaves the answer
// unknown, so the first such failure is kept for the caller to report.
class ConfigReader {
 public:
  ConfigReader(const platform::Env& env, Observation* obs, size_t max_bytes)
      : env_(env), obs_(obs), max_bytes_(max_bytes) {}
  // The text of `path`; nothing when it is absent or unreadable.
  std::optional<std::string> Read(const std::string& path);
  const Status& error() const { return error_; }
  const std::vector<std::string>& files() const { return files_; }  // read, in order

 private:
  const platform::Env& env_;
  Observation* obs_;
  size_t max_bytes_;
  Status error_;
  std::vector<std::string> files_;
};

// The metadata of `path` and the SHA-256 of its content, read through `env`.
// A file that cannot be read still yields what stat says, with an empty digest.
Result<Artifact> ArtifactOf(const platform::Env& env, const std::string& path);
// The same for a file whose content the caller has already read.
Result<Artifact> ArtifactOf(const platform::Env& env, const std::string& path,
                            std::string_view content);

}  // namespace shoko::collectors

#define SHOKO_COLLECTOR_CONCAT_(a, b) a##b
#define SHOKO_COLLECTOR_CONCAT(a, b) SHOKO_COLLECTOR_CONCAT_(a, b)
// Registers collector class `cls` with its CollectorDeclaration `declaration`
// (defined before it in the same file); use once, at namespace scope.
#define SHOKO_REGISTER_COLLECTOR(declaration, cls)                                  \
  static const bool SHOKO_COLLECTOR_CONCAT(shoko_registered_collector_, __LINE__) = \
      ::shoko::collectors::CollectorRegistry::Global().Add(                         \
          declaration, [] { return std::unique_ptr<::shoko::collectors::Collector>(new cls()); })

#endif  // SHOKO_COLLECTORS_COLLECTOR_H_
