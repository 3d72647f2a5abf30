// `shoko-agent helper NAME --root DIR` (internal, left out of --help): the
// daemon re-executes itself to run a collector's heavy helper in a child
// (agent/helper_process.h). Prints the helper's answer; on failure, one line
// on stderr and a non-zero exit.
#include "collectors/helper.h"

#include <sys/resource.h>

#include <iostream>

#include "agent/commands/command.h"

namespace shoko::agent {
namespace {

class HelperCommand final : public Subcommand {
 public:
  explicit HelperCommand(CLI::App& app) : Subcommand(app, "helper", "") {
    command_->add_option("name", name_)->required();
    command_->add_option("--root", root_);
    command_->group("");
  }
  int Run() override;

 private:
  std::string name_;
  std::string root_ = "/";
};

int HelperCommand::Run() {
#if !defined(__SANITIZE_ADDRESS__)
  // A helper that a hostile root drives into runaway allocation dies alone,
  // well before the host runs short (ASan needs its huge mappings, hence the
  // exception).
  const rlimit data{2ull << 30, 2ull << 30};
  ::setrlimit(RLIMIT_DATA, &data);
#endif
  const collectors::Helper* helper = collectors::FindHelper(name_);
  if (helper == nullptr) {
    std::cerr << "shoko-agent helper: no helper named '" << name_ << "'\n";
    return kExitUsage;
  }
  const std::string tree = root_.empty() ? "/" : root_;
  auto answer = helper->run(collectors::HelperRoot{tree, tree != "/"});
  if (!answer.ok()) {
    std::cerr << answer.status().message() << "\n";
    return ExitCodeFor(answer.status());
  }
  std::cout << *answer;
  std::cout.flush();
  return std::cout ? kExitOk : kExitInternal;
}

}  // namespace

std::unique_ptr<Command> AddHelperCommand(CLI::App& app) {
  return std::make_unique<HelperCommand>(app);
}

}  // namespace shoko::agent
