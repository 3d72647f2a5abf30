#include "store/reports.h"

#include "platform/strings.h"

namespace shoko::store {

Result<std::unique_ptr<StoreReports>> StoreReports::Load(const StoreConfig& config) {
  std::unique_ptr<StoreReports> reports(new StoreReports());
  SHOKO_ASSIGN_OR_RETURN(reports->mapping_, controls::Mapping::LoadOrBuiltIn(config.mapping));
  SHOKO_ASSIGN_OR_RETURN(reports->catalog_, controls::Catalog::LoadOrBuiltIn(config.catalog));
  if (const auto problems = reports->catalog_->Check(*reports->mapping_); !problems.empty()) {
    return Status::InvalidArgument(platform::Join(problems, "\n"));
  }
  SHOKO_RETURN_IF_ERROR(reports->LoadStatements(config.soa).WithContext("soa"));
  reports->stale_grace_ = config.stale_grace;
  return reports;
}

Status StoreReports::LoadStatements(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    SHOKO_ASSIGN_OR_RETURN(controls::Soa soa, controls::Soa::Load(path, *catalog_));
    for (const controls::Soa& other : statements_) {
      if (other.service() == soa.service()) {
        return Status::InvalidArgument(path + " and " + other.source() + " both state service '" +
                                       soa.service() + "'");
      }
    }
    statements_.push_back(std::move(soa));
  }
  return Status::OK();
}

ComplianceContext StoreReports::Context() const {
  ComplianceContext context;
  context.catalog = catalog_.get();
  context.mapping = mapping_.get();
  context.statements = &statements_;
  context.stale_grace = stale_grace_;
  return context;
}

std::vector<std::string> ExpiredExceptionAlerts::Due(const std::string& today) {
  std::vector<std::string> due;
  for (const controls::Soa& soa : *statements_) {
    for (const std::string& notice : soa.Expired(today)) {
      if (alerted_.insert(notice).second) due.push_back(notice);
    }
  }
  return due;
}

}  // namespace shoko::store
