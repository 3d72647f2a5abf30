#include "cli/verify_command.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/bundle_verify.h"
#include "cli/line_reader.h"
#include "cli/log_key.h"
#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "platform/exit_code.h"
#include "platform/local_files.h"

namespace shoko::cli {

namespace {

constexpr std::string_view kBundleNotDsse =
    "a bundle, not DSSE JSON lines: verify it with --log-key PUB";

// Whether a file's first line makes it a file of DSSE JSON lines; the reason
// it is not, otherwise.
std::string NotDsseLines(const LineReader::Line& first) {
  if (first.overlong) return "";  // a record of its own, refused as such
  auto json = nlohmann::json::parse(first.text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    return "not DSSE JSON lines: line " + std::to_string(first.number) + " is not a JSON object";
  }
  return "";
}

// Adds one file's records to `records`.
Status ReadDsseFile(const std::string& path, DsseRecords* records) {
  SHOKO_ASSIGN_OR_RETURN(LineReader reader, LineReader::Open(path, kMaxDsseLineBytes));
  // A bundle is one line, likely longer than a record may be: known by its start.
  if (LooksLikeBundle(path)) {
    records->file_problems.push_back(path + ": " + std::string(kBundleNotDsse));
    return Status::OK();
  }
  LineReader::Line line;
  size_t read = 0;
  for (;;) {
    SHOKO_ASSIGN_OR_RETURN(bool more, reader.Next(&line));
    if (!more) break;
    if (!line.overlong && line.text.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (read == 0) {
      if (std::string why = NotDsseLines(line); !why.empty()) {
        records->file_problems.push_back(path + ": " + why);
        return Status::OK();
      }
    }
    ++read;
    evidence::VerifyInput input;
    if (line.overlong) {
      input.malformed = "line longer than " + std::to_string(kMaxDsseLineBytes >> 20) +
                        " MiB, the limit for one record: not read";
    } else if (auto envelope = evidence::FromDsseJson(line.text); envelope.ok()) {
      input.envelope = std::move(envelope).value();
    } else {
      input.malformed = envelope.status().message();
    }
    records->inputs.push_back(std::move(input));
    records->where.emplace_back(path, line.number);
  }
  if (read == 0) records->file_problems.push_back(path + ": no records");
  return Status::OK();
}

}  // namespace

Result<DsseRecords> ReadDsseFiles(const std::vector<std::string>& files) {
  DsseRecords records;
  for (const std::string& path : files) SHOKO_RETURN_IF_ERROR(ReadDsseFile(path, &records));
  return records;
}

Result<std::vector<evidence::PublicKey>> LoadPublicKeys(const std::vector<std::string>& files) {
  std::vector<evidence::PublicKey> keys;
  for (const std::string& path : files) {
    auto pem = platform::ReadLocalFile(path, 64 * 1024);
    if (!pem.ok()) return pem.status();
    auto key = evidence::PublicKey::FromPem(*pem);
    if (!key.ok()) return key.status().WithContext(path);
    keys.push_back(std::move(key).value());
  }
  return keys;
}

std::string FormatFinding(const DsseRecords& records, size_t i, const evidence::Finding& finding) {
  return records.where[i].first + ": line " + std::to_string(records.where[i].second) + " seq " +
         (finding.seq ? std::to_string(*finding.seq) : std::string("?")) + ": " +
         std::string(evidence::ProblemName(finding.problem)) +
         (finding.detail.empty() ? "" : ": " + finding.detail);
}

int RunVerify(const std::vector<std::string>& key_files, const std::vector<std::string>& files,
              std::ostream& out, std::ostream& err) {
  if (key_files.empty()) {
    return Fail(
        Status::InvalidArgument("verify needs at least one --key PUB (the agent's public key)"),
        err);
  }
  if (files.empty()) return Fail(Status::InvalidArgument("verify needs at least one FILE"), err);
  auto keys = LoadPublicKeys(key_files);
  if (!keys.ok()) return Fail(keys.status().WithContext("--key"), err);
  auto records = ReadDsseFiles(files);
  if (!records.ok()) return Fail(records.status(), err);
  for (const std::string& problem : records->file_problems) out << problem << "\n";
  evidence::VerifyReport report = evidence::VerifyChains(records->inputs, *keys);
  size_t problems = 0;
  for (size_t i = 0; i < report.findings.size(); ++i) {
    const auto& finding = report.findings[i];
    if (!finding) continue;
    ++problems;
    out << FormatFinding(*records, i, *finding) << "\n";
  }
  out << records->inputs.size() << " record(s) in " << files.size() << " file(s) from "
      << report.agents << " agent(s): " << report.valid << " valid, " << problems
      << " with problems";
  if (!records->file_problems.empty()) {
    out << ", " << records->file_problems.size() << " file(s) with no records read";
  }
  out << "\n";
  return problems == 0 && records->file_problems.empty() ? kExitOk : kExitProblems;
}

namespace {

struct VerifyRequest {
  std::vector<std::string> keys, files;
  BundleVerifyRequest bundle;  // its file is files[0]
};

// A bundle is verified with --log-key (or the pinned key of shokoctl.yaml,
// for a lone file that is a bundle); DSSE files with --key.
int RunVerifyRequest(VerifyRequest& request, std::ostream& out, std::ostream& err) {
  BundleVerifyRequest& bundle = request.bundle;
  const bool bundle_flags =
      !bundle.log_key.empty() || !bundle.previous.empty() || bundle.witnesses > 0;
  const bool lone_bundle =
      request.keys.empty() && request.files.size() == 1 && LooksLikeBundle(request.files[0]);
  if (!bundle_flags && !lone_bundle) return RunVerify(request.keys, request.files, out, err);
  if (!request.keys.empty()) {
    return Fail(Status::InvalidArgument("--key is for DSSE files; a bundle is verified with "
                                        "--log-key, --previous and --witnesses"),
                err);
  }
  if (request.files.size() != 1) {
    return Fail(Status::InvalidArgument("verify --log-key takes one BUNDLE file"), err);
  }
  bundle.file = request.files[0];
  return RunVerifyBundle(bundle, out, err);
}

}  // namespace

void AddVerifyCommand(CLI::App& app, Commands& commands) {
  auto request = std::make_shared<VerifyRequest>();
  CLI::App* verify = app.add_subcommand(
      "verify",
      "Verify offline: DSSE JSON-lines files against agents' keys (every signature, every "
      "chain), or a bundle against the pinned log key.");
  verify->add_option("--key", request->keys, "An agent's public key (PEM); repeatable.")
      ->type_name("PUB")
      ->allow_extra_args(false);  // one value per occurrence: positionals stay positional
  AddLogKeyOption(verify, &request->bundle.log_key);
  AddTextOptions(
      verify, {{"--previous", &request->bundle.previous,
                "A checkpoint you kept: the bundle must prove it extends it.", "CHECKPOINT_FILE"}});
  verify
      ->add_option("--witnesses", request->bundle.witnesses,
                   "Require K cosignatures of the bundle's checkpoint by its agents.")
      ->type_name("K");
  verify->add_option("files", request->files, "DSSE JSON-lines files, in chain order; or a bundle.")
      ->type_name("FILE");
  commands.On(verify, [request](std::ostream& out, std::ostream& err) {
    return RunVerifyRequest(*request, out, err);
  });
}

}  // namespace shoko::cli
