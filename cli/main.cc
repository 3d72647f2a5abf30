// shokoctl: the command line for ops teams and auditors (design §7).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/admin_command.h"
#include "cli/catalog_command.h"
#include "cli/compliance_command.h"
#include "cli/controls_command.h"
#include "cli/evidence_command.h"
#include "cli/import_command.h"
#include "cli/pki_command.h"
#include "cli/soa_command.h"
#include "cli/store_client.h"
#include "cli/verify_command.h"
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
  AddStoreFlags(evidence, &query.connection);
  evidence
      ->add_option("--control", query.control,
                   "Only records mapped to this control ref or one below it (e.g. ismap:8.2).")
      ->type_name("REF");
  evidence->add_option("--agent", query.agent, "Only this agent (its id or a prefix of it).")
      ->type_name("ID");
  evidence->add_option("--format", query.format, "Output format.")
      ->check(CLI::IsMember({"jsonl", "table"}))
      ->type_name("FORMAT");
  evidence->add_option("--limit", query.limit, "At most N records (default: all).")->type_name("N");

  ComplianceQuery compliance_query;
  CLI::App* compliance = app.add_subcommand(
      "compliance",
      "The compliance matrix: per control, each host's status from its latest evidence, with "
      "the statements of applicability and exceptions applied.");
  AddStoreFlags(compliance, &compliance_query.connection);
  compliance
      ->add_option("--framework", compliance_query.framework,
                   "ismap (default), ismap-legacy, iso27002, nist80053r5, or one of the store "
                   "catalog's.")
      ->type_name("NAME");
  compliance->add_option("--service", compliance_query.service, "Only hosts of this service label.")
      ->type_name("NAME");
  compliance->add_option("--agent", compliance_query.agent, "Only this agent (its id or a prefix).")
      ->type_name("ID");
  compliance
      ->add_option("--importance", compliance_query.importance,
                   "Only controls of this importance (high, medium, low).")
      ->type_name("LEVEL");
  compliance
      ->add_option("--threat", compliance_query.threat, "Only controls addressing this threat.")
      ->type_name("THREAT");
  compliance
      ->add_option("--status", compliance_query.status,
                   "Only controls whose status over the hosts is this.")
      ->check(CLI::IsMember({"fail", "error", "stale", "pass", "info", "not_applicable",
                             "no_evidence", "excepted", "inherited", "excluded"}))
      ->type_name("STATUS");
  compliance
      ->add_option("--sort", compliance_query.sort,
                   "control (catalog order), importance (high first) or status (failing first).")
      ->check(CLI::IsMember({"control", "importance", "status"}))
      ->type_name("ORDER");
  compliance->add_option("--format", compliance_query.format, "Output format.")
      ->check(CLI::IsMember({"table", "json"}))
      ->type_name("FORMAT");

  std::vector<std::string> verify_keys, verify_files;
  CLI::App* verify = app.add_subcommand(
      "verify", "Verify DSSE JSON-lines files offline: every signature and every agent's chain.");
  verify->add_option("--key", verify_keys, "An agent's public key (PEM); repeatable.")
      ->type_name("PUB")
      ->allow_extra_args(false);  // one value per occurrence: positionals stay positional
  verify->add_option("files", verify_files, "DSSE JSON-lines files, in chain order.")
      ->type_name("FILE");

  ImportRequest import_request;
  CLI::App* import = app.add_subcommand(
      "import", "Send files collected offline to a store, which verifies them like a live upload.");
  AddStoreFlags(import, &import_request.connection);
  import
      ->add_option("--agent-key", import_request.key_files,
                   "An agent's first public key (PEM); repeatable (default: each agent's declared "
                   "first key).")
      ->type_name("PUB")
      ->allow_extra_args(false);  // one value per occurrence: positionals stay positional
  import->add_option("files", import_request.files, "DSSE JSON-lines files.")->type_name("FILE");

  CLI::App* pki = app.add_subcommand("pki", "The deployment's certificate authority (design §5).");
  pki->require_subcommand(1);
  PkiInit pki_init;
  CLI::App* init = pki->add_subcommand("init", "Create the CA: DIR/ca.crt and DIR/ca.key.");
  init->add_option("--dir", pki_init.dir, "Where the CA lives.")->required()->type_name("DIR");
  init->add_option("--name", pki_init.name, "The CA's name.")->type_name("NAME");
  init->add_option("--days", pki_init.days, "Validity in days.")->type_name("N");
  PkiIssue pki_issue;
  CLI::App* issue = pki->add_subcommand(
      "issue", "Issue a certificate and key: DIR/NAME.crt, DIR/NAME.key, named shoko://ROLE/NAME.");
  issue->add_option("--dir", pki_issue.dir, "The CA's directory.")->required()->type_name("DIR");
  issue->add_option("--role", pki_issue.role, "store, agent, auditor, admin or importer.")
      ->required()
      ->type_name("ROLE");
  issue->add_option("--name", pki_issue.name, "The holder (an agent: its agent_id).")
      ->required()
      ->type_name("NAME");
  issue
      ->add_option("--host", pki_issue.hosts,
                   "A name or address clients dial the store by (repeatable; default: localhost, "
                   "127.0.0.1, ::1).")
      ->type_name("HOST")
      ->allow_extra_args(false);
  issue->add_option("--days", pki_issue.days, "Validity in days (default 397).")->type_name("N");

  EnrollCreate enroll_create;
  CLI::App* enroll =
      app.add_subcommand("enroll", "Bootstrap tokens for agent enrollment (admins).");
  enroll->require_subcommand(1);
  CLI::App* create =
      enroll->add_subcommand("create", "Print a one-time token for `shoko-agent enroll --token`.");
  AddStoreFlags(create, &enroll_create.connection);
  create->add_option("--ttl", enroll_create.ttl, "How long the token is valid (default 1h).")
      ->type_name("DURATION");
  create->add_option("--note", enroll_create.note, "What the token is for (logged).")
      ->type_name("TEXT");

  AgentAction agent_action;
  CLI::App* agent = app.add_subcommand("agent", "Register, revoke or retire agents (admins).");
  agent->require_subcommand(1);
  CLI::App* reg = agent->add_subcommand(
      "register", "Register the key of an agent that collects offline, for `shokoctl import`.");
  AddStoreFlags(reg, &agent_action.connection);
  reg->add_option("--pub", agent_action.pub_file, "The agent's first public key (PEM).")
      ->required()
      ->type_name("FILE");
  CLI::App* revoke = agent->add_subcommand(
      "revoke", "Refuse the agent's uploads and renewals from its next stream on.");
  CLI::App* retire =
      agent->add_subcommand("retire", "A decommissioned host: keep its evidence, accept no more.");
  for (CLI::App* c : {revoke, retire}) {
    AddStoreFlags(c, &agent_action.connection);
    c->add_option("agent_id", agent_action.agent_id, "The agent's id.")
        ->required()
        ->type_name("AGENT_ID");
    c->add_option("--reason", agent_action.reason, "Why (logged).")->type_name("TEXT");
  }

  ControlsRequest controls_request;
  CLI::App* controls = app.add_subcommand(
      "controls", "The control catalog and, per control, the checks that evidence it.");
  CLI::App* coverage = controls->add_subcommand(
      "coverage", "How many controls have automated host evidence, partial, or none.");
  for (CLI::App* c : {controls, coverage}) {
    c->add_option("--catalog", controls_request.catalog_file,
                  "A catalog YAML (default: the built-in one).")
        ->type_name("FILE");
    c->add_option("--mapping", controls_request.mapping_file,
                  "A check → control mapping YAML (default: the built-in one).")
        ->type_name("FILE");
    c->add_option("--framework", controls_request.framework,
                  "ismap (default), ismap-legacy, iso27002, nist80053r5, or one of the catalog's.")
        ->type_name("NAME");
    c->add_option("--format", controls_request.format, "Output format.")
        ->check(CLI::IsMember({"table", "json"}))
        ->type_name("FORMAT");
    c->add_option("--importance", controls_request.importance,
                  "Only controls of this importance (high, medium, low).")
        ->type_name("LEVEL");
    c->add_option("--threat", controls_request.threat, "Only controls addressing this threat.")
        ->type_name("THREAT");
  }

  CatalogImportRequest catalog_import;
  CLI::App* catalog_cmd = app.add_subcommand("catalog", "Import control tables (design §4).");
  catalog_cmd->require_subcommand(1);
  CLI::App* catalog_import_cmd = catalog_cmd->add_subcommand(
      "import",
      "ismap-csv: the ISMAP control table (番号, 統制目標, 番号, 詳細管理策, (参考)定型管理策, "
      "(参考)手引き) to catalog YAML; crosswalk-csv: an old-id → new-id table applied to a "
      "mapping.");
  catalog_import_cmd->add_option("--format", catalog_import.format, "ismap-csv or crosswalk-csv.")
      ->required()
      ->check(CLI::IsMember({"ismap-csv", "crosswalk-csv"}))
      ->type_name("FORMAT");
  catalog_import_cmd->add_option("file", catalog_import.file, "The CSV file.")
      ->required()
      ->type_name("FILE");
  catalog_import_cmd
      ->add_option("--encoding", catalog_import.encoding,
                   "auto (UTF-8, else Shift_JIS), utf-8 or shift_jis.")
      ->check(CLI::IsMember({"auto", "utf-8", "shift_jis"}));
  catalog_import_cmd->add_option("--out", catalog_import.out, "Write here instead of stdout.")
      ->type_name("FILE");
  catalog_import_cmd->add_option("--framework", catalog_import.framework,
                                 "ismap-csv: the framework name (default ismap).");
  catalog_import_cmd->add_option("--title", catalog_import.title, "ismap-csv: its title.");
  catalog_import_cmd->add_option("--status", catalog_import.status,
                                 "ismap-csv: the table's status, e.g. final-2026-04.");
  catalog_import_cmd->add_option("--source", catalog_import.source,
                                 "ismap-csv: where the table comes from.");
  catalog_import_cmd->add_flag("--provisional", catalog_import.provisional,
                               "ismap-csv: the table is not (yet) official.");
  catalog_import_cmd
      ->add_option("--base", catalog_import.base_file,
                   "ismap-csv: the catalog whose framework the import replaces (default: the "
                   "built-in one).")
      ->type_name("FILE");
  catalog_import_cmd->add_flag("--standalone", catalog_import.standalone,
                               "ismap-csv: write only the imported framework.");
  catalog_import_cmd
      ->add_option("--mapping", catalog_import.mapping_file,
                   "crosswalk-csv: the mapping to re-map (default: the built-in one).")
      ->type_name("FILE");
  catalog_import_cmd->add_option("--from", catalog_import.from,
                                 "crosswalk-csv: the old framework (default ismap-legacy).");
  catalog_import_cmd->add_option("--to", catalog_import.to,
                                 "crosswalk-csv: the new framework (default ismap).");

  SoaRequest soa_request;
  CLI::App* soa = app.add_subcommand("soa", "A cloud service's statement of applicability.");
  soa->require_subcommand(1);
  CLI::App* soa_validate =
      soa->add_subcommand("validate", "Check a statement of applicability against the catalog.");
  CLI::App* soa_export = soa->add_subcommand(
      "export",
      "The pre-review (事前確認) package: scope, exclusions, inheritances, exceptions "
      "and each control's automated evidence.");
  for (CLI::App* c : {soa_validate, soa_export}) {
    c->add_option("file", soa_request.file, "The statement (YAML).")->required()->type_name("FILE");
    c->add_option("--catalog", soa_request.catalog_file, "A catalog (default: the built-in one).")
        ->type_name("FILE");
    c->add_option("--mapping", soa_request.mapping_file, "A mapping (default: the built-in one).")
        ->type_name("FILE");
    c->add_option("--today", soa_request.today, "The date expiries are judged on (YYYY-MM-DD).")
        ->type_name("DATE");
  }
  soa_export->add_option("--format", soa_request.format, "markdown (default) or json.")
      ->check(CLI::IsMember({"markdown", "json"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "shokoctl: usage: " << e.what() << " (see --help)" << std::endl;
    return 2;
  }
  if (soa_validate->parsed() || soa_export->parsed()) {
    soa_request.export_package = soa_export->parsed();
    return RunSoa(soa_request, std::cout, std::cerr);
  }
  if (catalog_import_cmd->parsed()) return RunCatalogImport(catalog_import, std::cout, std::cerr);
  if (controls->parsed()) {
    controls_request.coverage = coverage->parsed();
    return RunControls(controls_request, std::cout, std::cerr);
  }
  if (create->parsed()) return RunEnrollCreate(enroll_create, std::cout, std::cerr);
  if (reg->parsed() || revoke->parsed() || retire->parsed()) {
    agent_action.action = reg->parsed() ? "register" : revoke->parsed() ? "revoke" : "retire";
    return RunAgentAction(agent_action, std::cout, std::cerr);
  }
  if (init->parsed()) return RunPkiInit(pki_init, std::cout, std::cerr);
  if (issue->parsed()) return RunPkiIssue(pki_issue, std::cout, std::cerr);
  if (verify->parsed()) return RunVerify(verify_keys, verify_files, std::cout, std::cerr);
  if (import->parsed()) return RunImport(import_request, std::cout, std::cerr);
  if (compliance->parsed()) return RunCompliance(compliance_query, std::cout, std::cerr);
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
