// shokoctl: the command line for ops teams and auditors (design §7).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/evidence_command.h"
#include "shoko/version.h"

namespace shoko::cli {
namespace {

int Main(int argc, char** argv) {
  CLI::App app{"shokoctl: query and verify the evidence a shoko store holds."};
  app.set_version_flag("--version", std::string(kShokoVersion));
  app.require_subcommand(1);

  EvidenceQuery query;
  CLI::App* evidence = app.add_subcommand(
      "evidence", "List stored evidence records, verifying each signature locally.");
  evidence->add_option("--store", query.store,
                       "Store HOST:PORT (default: $SHOKO_STORE, then ~/.config/shoko/shokoctl.yaml).")
      ->type_name("HOST:PORT");
  evidence->add_option("--control", query.control,
                       "Only records mapped to this control ref or one below it (e.g. ismap:8.2).")
      ->type_name("REF");
  evidence->add_option("--agent", query.agent, "Only this agent (its id or a prefix of it).")
      ->type_name("ID");
  evidence->add_option("--format", query.format, "Output format.")
      ->check(CLI::IsMember({"jsonl", "table"}))
      ->type_name("FORMAT");
  evidence->add_option("--limit", query.limit, "At most N records (default: all).")
      ->type_name("N");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "shokoctl: usage: " << e.what() << " (see --help)" << std::endl;
    return 2;
  }
  return RunEvidence(query, std::cout, std::cerr);
}

}  // namespace
}  // namespace shoko::cli

int main(int argc, char** argv) {
  try {
    return shoko::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "shokoctl: internal error: " << e.what() << std::endl;
    return 4;
  }
}
