#include "collectors/collector.h"

#include <algorithm>

#include "platform/digest.h"

namespace shoko::collectors {

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "fail";
    case Verdict::kNotApplicable:
      return "not_applicable";
    case Verdict::kError:
      return "error";
    case Verdict::kInfo:
      return "info";
  }
  return "error";
}

CollectorRegistry& CollectorRegistry::Global() {
  static CollectorRegistry* registry = new CollectorRegistry();
  return *registry;
}

bool CollectorRegistry::Add(CollectorDeclaration declaration, Factory factory) {
  entries_.push_back({std::move(declaration), std::move(factory)});
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return a.declaration.name() < b.declaration.name();
  });
  return true;
}

std::vector<std::string> CollectorRegistry::Names() const {
  std::vector<std::string> names;
  for (const Entry& e : entries_) names.push_back(e.declaration.name());
  return names;
}

std::vector<std::string> CollectorRegistry::Select(std::string_view selector) const {
  std::vector<std::string> names;
  for (const std::string& n : Names()) {
    bool family = n.size() > selector.size() && n.compare(0, selector.size(), selector) == 0 &&
                  n[selector.size()] == '.';
    if (n == selector || family) names.push_back(n);
  }
  return names;
}

std::unique_ptr<Collector> CollectorRegistry::Create(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.declaration.name() == name) return e.factory();
  }
  return nullptr;
}

const CollectorDeclaration* CollectorRegistry::Find(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.declaration.name() == name) return &e.declaration;
  }
  return nullptr;
}

std::vector<std::string> CollectorRegistry::AllOf(
    std::vector<std::string> (CollectorDeclaration::*ids)() const) const {
  std::vector<std::string> out;
  for (const Entry& e : entries_) {
    for (std::string& id : (e.declaration.*ids)()) out.push_back(std::move(id));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> CollectorRegistry::VerdictChecks() const {
  return AllOf(&CollectorDeclaration::VerdictChecks);
}

std::vector<std::string> CollectorRegistry::CheckIds() const {
  return AllOf(&CollectorDeclaration::CheckIds);
}

controls::BaselineSchema CollectorRegistry::BaselineSchema() const {
  controls::BaselineSchema schema;
  for (const Entry& e : entries_) {
    const CollectorDeclaration& d = e.declaration;
    // Checks that read nothing are declared too, so that values for them are
    // refused as unknown keys rather than as an unknown check.
    schema.Add(d.observation.id, d.observation.baseline);
    for (const CheckDeclaration& r : d.rules) schema.Add(r.id, r.baseline);
  }
  return schema;
}

std::optional<std::string> ConfigReader::Read(const std::string& path) {
  auto text = env_.ReadFile(path, max_bytes_);
  if (!text.ok()) {
    if (!text.status().IsNotFound() && error_.ok()) error_ = text.status();
    return std::nullopt;
  }
  files_.push_back(path);
  if (auto a = ArtifactOf(env_, path, *text); a.ok())
    obs_->artifacts.push_back(std::move(a).value());
  return std::move(text).value();
}

const Result<std::string>& ReadOnce(const CollectContext& ctx, const std::string& path) {
  return ctx.cache->Get<Result<std::string>>("file " + path,
                                             [&] { return ctx.env.ReadFile(path); });
}

Observation RuleRecord(std::string check_id, std::string observation, Verdict verdict,
                       std::string message) {
  Observation rule;
  rule.check_id = std::move(check_id);
  rule.observation_check_id = std::move(observation);
  rule.verdict = verdict;
  rule.message = std::move(message);
  return rule;
}

Observation ErrorRecord(const std::string& check_id, const Status& status) {
  Observation obs;
  obs.check_id = check_id;
  obs.verdict = Verdict::kError;
  obs.message = status.message();
  return obs;
}

std::vector<Observation> SameForAll(Observation observation, const std::vector<std::string>& rules,
                                    Verdict verdict, const std::string& message) {
  observation.verdict = verdict;
  observation.message = message;
  std::vector<Observation> out;
  for (const std::string& id : rules) {
    out.push_back(RuleRecord(id, observation.check_id, verdict, message));
  }
  out.insert(out.begin(), std::move(observation));
  return out;
}

namespace {

// What stat says of `path`, with no digest yet.
Result<Artifact> StatArtifact(const platform::Env& env, const std::string& path,
                              platform::FileInfo* info_out) {
  auto info = env.Stat(path);
  if (!info.ok()) return info.status();
  Artifact a;
  a.path = path;
  a.size = info->size;
  a.mode = info->mode;
  a.uid = info->uid;
  a.gid = info->gid;
  a.mtime_us = info->mtime_us;
  *info_out = *info;
  return a;
}

}  // namespace

Result<Artifact> ArtifactOf(const platform::Env& env, const std::string& path,
                            std::string_view content) {
  platform::FileInfo info;
  SHOKO_ASSIGN_OR_RETURN(Artifact a, StatArtifact(env, path, &info));
  a.sha256 = platform::Sha256(content);
  return a;
}

Result<Artifact> ArtifactOf(const platform::Env& env, const std::string& path) {
  platform::FileInfo info;
  SHOKO_ASSIGN_OR_RETURN(Artifact a, StatArtifact(env, path, &info));
  if (info.type == platform::FileInfo::Type::kRegular) {
    if (auto content = env.ReadFile(path); content.ok()) a.sha256 = platform::Sha256(*content);
  }
  return a;
}

}  // namespace shoko::collectors
