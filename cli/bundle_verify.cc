#include "cli/bundle_verify.h"

#include <fstream>
#include <map>
#include <regex>

#include "cli/command.h"
#include "cli/log_key.h"
#include "evidence/bundle.h"
#include "platform/exit_code.h"
#include "platform/local_files.h"

namespace shoko::cli {
namespace {

// A kept checkpoint is one short note.
constexpr size_t kMaxCheckpointBytes = 64 * 1024;

// Per agent of the bundle, its stated range and what was found about it.
std::vector<std::string> AgentLines(const evidence::Bundle& bundle,
                                    const evidence::BundleReport& report) {
  std::map<std::string, size_t> findings;
  for (const evidence::Finding& f : report.findings) ++findings[f.agent_id];
  std::vector<std::string> lines;
  for (const evidence::BundleAgent& a : bundle.agents) {
    const size_t n = findings.contains(a.agent_id) ? findings[a.agent_id] : 0;
    lines.push_back("agent " + a.agent_id + ": seq " + std::to_string(a.first_seq) + "-" +
                    std::to_string(a.last_seq) + ": " +
                    (n == 0 ? "whole, linked and included" : std::to_string(n) + " finding(s)"));
  }
  return lines;
}

std::string Summary(const BundleVerifyRequest& request, const evidence::BundleReport& report) {
  std::string s = request.file + ": " + std::to_string(report.records) + " record(s) of " +
                  std::to_string(report.agents) + " agent(s) in ";
  s += report.checkpoint ? "the checkpoint of " + std::to_string(report.checkpoint->tree_size) +
                               " leaves (" + report.checkpoint->origin + ")"
                         : "a checkpoint the pinned key does not verify";
  s += ": " + std::to_string(report.valid_records) + " valid, " +
       std::to_string(report.findings.size()) + " finding(s); " + std::to_string(report.witnesses) +
       " witness(es)";
  if (request.witnesses > 0) s += " of " + std::to_string(request.witnesses) + " required";
  return s;
}

}  // namespace

bool LooksLikeBundle(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  static const std::regex kStart(R"(^\s*\{\s*"format"\s*:\s*"shoko-bundle/)");
  return std::regex_search(head, kStart);
}

int RunVerifyBundle(const BundleVerifyRequest& request, std::ostream& out, std::ostream& err) {
  auto key = RequiredLogKey(request.log_key, "verify of a bundle");
  if (!key.ok()) return Fail(key.status(), err);
  evidence::BundleVerifyOptions options{*key};
  options.witnesses = request.witnesses;
  if (!request.previous.empty()) {
    auto previous = platform::ReadLocalFile(request.previous, kMaxCheckpointBytes);
    if (!previous.ok()) return Fail(previous.status().WithContext("--previous"), err);
    options.previous = std::move(previous).value();
  }
  auto text = platform::ReadLocalFile(request.file, kMaxBundleBytes);
  if (!text.ok()) return Fail(text.status(), err);
  auto bundle = evidence::DecodeBundle(*text);
  if (!bundle.ok()) {
    out << request.file << ": not a bundle: " << bundle.status().message() << "\n";
    return kExitProblems;
  }
  text->clear();
  evidence::BundleReport report = evidence::VerifyBundle(*bundle, options);
  for (const evidence::Finding& f : report.findings) {
    out << request.file << ": " << evidence::DescribeFinding(f) << "\n";
  }
  for (const std::string& line : AgentLines(*bundle, report)) out << line << "\n";
  out << Summary(request, report) << "\n";
  return report.ok() ? kExitOk : kExitProblems;
}

}  // namespace shoko::cli
