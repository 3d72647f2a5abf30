// What the store's reports are built from (docs/controls.md, "Compliance
// roll-up"): its control catalog, its check → control mapping and its
// statements of applicability, loaded and checked against each other at start;
// and the alerts for exceptions of those statements that expire while the store
// runs.
#ifndef SHOKO_STORE_REPORTS_H_
#define SHOKO_STORE_REPORTS_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "controls/catalog.h"
#include "controls/mapping.h"
#include "controls/soa.h"
#include "platform/status.h"
#include "store/compliance.h"
#include "store/config.h"

namespace shoko::store {

class StoreReports {
 public:
  // The config's catalog and mapping (the built-in ones where it names none)
  // and its statements. InvalidArgument naming file and line when the
  // mapping names a control the catalog lacks (a typo in a re-import stops
  // the store at start), a statement does not fit the catalog, or two state
  // the same service; one line per problem.
  static Result<std::unique_ptr<StoreReports>> Load(const StoreConfig& config);

  // The context the compliance matrix is built in; the audit service sets
  // its now_us per call. Valid while this lives.
  ComplianceContext Context() const;
  const std::vector<controls::Soa>& statements() const { return statements_; }

 private:
  StoreReports() = default;
  Status LoadStatements(const std::vector<std::string>& paths);

  std::shared_ptr<const controls::Catalog> catalog_;
  std::shared_ptr<const controls::Mapping> mapping_;
  std::vector<controls::Soa> statements_;  // one per service
  std::chrono::seconds stale_grace_{0};
};

// An exception that expires counts as failing again and raises an alert:
// each one once per run of the store.
class ExpiredExceptionAlerts {
 public:
  explicit ExpiredExceptionAlerts(const std::vector<controls::Soa>* statements)
      : statements_(statements) {}
  // The notices of exceptions expired before `today` (YYYY-MM-DD, UTC) not
  // raised before.
  std::vector<std::string> Due(const std::string& today);

 private:
  const std::vector<controls::Soa>* statements_;
  std::set<std::string> alerted_;
};

}  // namespace shoko::store

#endif  // SHOKO_STORE_REPORTS_H_
