#include "cli/verify_command.h"

#include <sstream>

#include "evidence/envelope.h"
#include "evidence/keys.h"
#include "platform/local_files.h"

namespace shoko::cli {

Result<std::vector<evidence::VerifyInput>> ReadDsseLines(const std::string& path,
                                                         std::vector<size_t>* line_numbers) {
  auto text = platform::ReadLocalFile(path, size_t{1} << 30);
  if (!text.ok()) return text.status();
  std::vector<evidence::VerifyInput> inputs;
  std::istringstream lines(*text);
  std::string line;
  size_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto envelope = evidence::FromDsseJson(line);
    evidence::VerifyInput input;
    if (envelope.ok()) {
      input.envelope = std::move(envelope).value();
    } else {
      input.malformed = envelope.status().message();
    }
    inputs.push_back(std::move(input));
    line_numbers->push_back(number);
  }
  return inputs;
}

int RunVerify(const std::vector<std::string>& key_files, const std::vector<std::string>& files,
              std::ostream& out, std::ostream& err) {
  if (key_files.empty()) {
    err << "shokoctl: verify needs at least one --key PUB (the agent's public key)\n";
    return 2;
  }
  if (files.empty()) {
    err << "shokoctl: verify needs at least one FILE\n";
    return 2;
  }
  std::vector<evidence::PublicKey> keys;
  for (const std::string& path : key_files) {
    auto pem = platform::ReadLocalFile(path, 64 * 1024);
    if (!pem.ok()) {
      err << "shokoctl: --key " << pem.status().message() << "\n";
      return 2;
    }
    auto key = evidence::PublicKey::FromPem(*pem);
    if (!key.ok()) {
      err << "shokoctl: --key " << path << ": " << key.status().message() << "\n";
      return 2;
    }
    keys.push_back(std::move(key).value());
  }
  std::vector<evidence::VerifyInput> inputs;
  std::vector<std::pair<const std::string*, size_t>> where;  // file and line of each input
  for (const std::string& file : files) {
    std::vector<size_t> numbers;
    auto lines = ReadDsseLines(file, &numbers);
    if (!lines.ok()) {
      err << "shokoctl: " << lines.status().message() << "\n";
      return 2;
    }
    for (size_t i = 0; i < lines->size(); ++i) {
      inputs.push_back(std::move((*lines)[i]));
      where.emplace_back(&file, numbers[i]);
    }
  }
  evidence::VerifyReport report = evidence::VerifyChains(inputs, keys);
  size_t problems = 0;
  for (size_t i = 0; i < report.findings.size(); ++i) {
    const auto& finding = report.findings[i];
    if (!finding) continue;
    ++problems;
    out << *where[i].first << ": line " << where[i].second << " seq "
        << (finding->seq ? std::to_string(*finding->seq) : std::string("?")) << ": "
        << evidence::ProblemName(finding->problem)
        << (finding->detail.empty() ? "" : ": " + finding->detail) << "\n";
  }
  out << inputs.size() << " record(s) in " << files.size() << " file(s) from " << report.agents
      << " agent(s): " << report.valid << " valid, " << problems << " with problems\n";
  return problems == 0 ? 0 : 1;
}

}  // namespace shoko::cli
