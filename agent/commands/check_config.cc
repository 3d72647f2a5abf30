// `shoko-agent --check-config [--config FILE]`: gathers the config's mapping,
// baseline, catalog and declarative checks and the checks this build emits,
// and prints what deployment validation (controls/deployment.h) finds: one
// line per problem on stderr and exit 1, or a summary.
#include <iostream>

#include "agent/commands/command.h"
#include "agent/log.h"
#include "agent/sweep.h"
#include "controls/deployment.h"

namespace shoko::agent {
namespace {

class CheckConfigCommand final : public Command {
 public:
  explicit CheckConfigCommand(CLI::App& app) {
    app.add_flag("--check-config", chosen_,
                 "Validate the configuration, mapping, baseline and catalog against the "
                 "compiled-in collectors; exit 1 on problems.");
    app.add_option("--config", config_path_, "With --check-config: the agent config to check.")
        ->type_name("FILE");
  }
  bool Chosen() const override { return chosen_; }
  int Run() override;

 private:
  bool chosen_ = false;
  std::string config_path_;
};

int CheckConfigCommand::Run() {
  auto config = LoadConfigOrDefault(config_path_);
  if (!config.ok()) return Fail(config.status());
  controls::Deployment deployment{controls::Mapping::LoadOrBuiltIn(config->mapping_file),
                                  controls::Baseline::LoadOrBuiltIn(config->baseline_file),
                                  controls::Catalog::LoadOrBuiltIn(config->catalog_file),
                                  Status::OK()};
  size_t declarative = 0;
  if (deployment.catalog.ok()) {
    auto checks = LoadDeclarativeChecks(config->checks_dir, **deployment.catalog);
    if (checks.ok()) {
      declarative = checks->checks().size();
    } else {
      deployment.declarative_checks = checks.status();
    }
  }
  const controls::EmittedChecks emitted = EmittedChecks();
  const std::vector<std::string> problems = controls::CheckDeployment(deployment, emitted);
  for (const std::string& p : problems) Log(p);
  if (!problems.empty()) {
    Log(std::to_string(problems.size()) + " problem(s) in the configuration");
    return kExitProblems;
  }
  const controls::Mapping& mapping = **deployment.mapping;
  const controls::Catalog& catalog = **deployment.catalog;
  size_t controls_count = 0;
  for (const auto& f : catalog.frameworks()) controls_count += f.controls.size();
  std::cout << "configuration OK: " << emitted.verdict_checks.size()
            << " checks with verdicts, each mapped; " << mapping.checks().size()
            << " mapped (mapping " << mapping.version() << ", " << mapping.source() << "); catalog "
            << catalog.version() << " with " << controls_count << " controls; " << declarative
            << " declarative check(s) in " << config->checks_dir << std::endl;
  return kExitOk;
}

}  // namespace

std::unique_ptr<Command> AddCheckConfigCommand(CLI::App& app) {
  return std::make_unique<CheckConfigCommand>(app);
}

}  // namespace shoko::agent
