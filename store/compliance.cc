#include "store/compliance.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

#include "evidence/chain.h"
#include "platform/text_table.h"
#include "platform/time_format.h"

namespace shoko::store {
namespace {

// A cell's status. The order is the host roll-up's (design §4: FAIL > ERROR >
// stale > PASS; not_applicable and info do not count, so they only show when
// nothing else does); the last three come from the statement.
enum class Cell {
  kFail,
  kError,
  kStale,
  kPass,
  kInfo,
  kNotApplicable,
  kNoEvidence,
  kExcepted,
  kInherited,
  kExcluded
};

constexpr std::array<std::string_view, 10> kCellNames = {
    "fail",           "error",       "stale",    "pass",      "info",
    "not_applicable", "no_evidence", "excepted", "inherited", "excluded"};

std::string_view Name(Cell c) { return kCellNames[static_cast<size_t>(c)]; }

// The order of a control's status over the fleet: anything that needs a look
// (a failure, missing evidence, an exception) before what holds.
int FleetRank(Cell c) {
  // By Cell: fail, error, stale, then no_evidence and excepted, then pass;
  // info and not_applicable do not count; inherited and excluded last.
  constexpr int kRank[] = {0, 1, 2, 5, 6, 7, 3, 4, 8, 9};
  return kRank[static_cast<size_t>(c)];
}

Cell Worse(Cell a, Cell b) { return std::min(a, b); }

bool Failing(Cell c) { return c == Cell::kFail || c == Cell::kError || c == Cell::kStale; }

// One check's latest verdict as a cell status.
std::optional<Cell> OfVerdict(const LatestVerdict& v, const ComplianceContext& context) {
  switch (v.verdict) {
    case v1::FAIL:
      return Cell::kFail;
    case v1::ERROR:
      return Cell::kError;
    case v1::NOT_APPLICABLE:
      return Cell::kNotApplicable;
    case v1::INFO:
      return Cell::kInfo;
    case v1::PASS: {
      // refresh_seconds comes from the host: past 10,000 years it is never
      // due (and the sum below cannot overflow).
      constexpr uint64_t kForever = 10000ULL * 366 * 86400;
      if (v.refresh_seconds == 0 || v.refresh_seconds > kForever) return Cell::kPass;
      const int64_t due =
          v.collected_at_us +
          (static_cast<int64_t>(v.refresh_seconds) + context.stale_grace.count()) * 1000000;
      return context.now_us > due ? Cell::kStale : Cell::kPass;
    }
    default:
      return std::nullopt;
  }
}

// What the statement says of a control on one host: the declaration that
// governs it (its own, else its nearest ancestor's) and the exceptions that
// cover the host for it or an ancestor.
struct Applied {
  std::optional<Cell> status;  // excluded, inherited, excepted or (expired) fail
  std::string note;
  const controls::SoaException* expired = nullptr;
};

// The refs from `ref` up through its parents.
std::vector<std::string> Lineage(const controls::Catalog& catalog, const std::string& ref) {
  std::vector<std::string> out;
  for (const controls::CatalogControl* k = catalog.Find(ref); k != nullptr;) {
    out.push_back(k->Ref());
    k = k->parent.empty() ? nullptr : catalog.Find(k->framework + ":" + k->parent);
  }
  return out;
}

Applied Apply(const controls::Soa* soa, const std::vector<std::string>& lineage,
              const HostEvidence& host, const std::string& today, bool own_only) {
  Applied out;
  if (soa == nullptr) return out;
  const size_t depth = own_only ? 1 : lineage.size();
  for (size_t i = 0; i < depth; ++i) {
    const controls::SoaEntry* e = soa->Find(lineage[i]);
    if (e == nullptr) continue;
    if (e->status == "excluded") {
      out.status = Cell::kExcluded;
      out.note = "excluded (" + e->reason + "): " + e->rationale + " — approved by " +
                 e->approved_by + " on " + e->approved_on;
    } else if (e->status == "inherited") {
      out.status = Cell::kInherited;
      out.note =
          "inherited from " + e->provider.service + " (ISMAP " + e->provider.registration + ")";
    }
    if (i > 0 && out.status) out.note += " (declared for " + e->control + ")";
    if (out.status) return out;
    break;  // an implemented declaration stands for the controls below it
  }
  const controls::SoaException* active = nullptr;
  for (size_t i = 0; i < depth; ++i) {
    for (const controls::SoaException& x : soa->exceptions()) {
      if (x.control != lineage[i] || !x.Covers(host.labels, host.agent_id)) continue;
      if (x.ExpiredBefore(today)) {
        if (out.expired == nullptr) out.expired = &x;
      } else if (active == nullptr) {
        active = &x;
      }
    }
  }
  // A renewed exception beside its expired predecessor holds.
  if (active != nullptr) {
    out.status = Cell::kExcepted;
    out.note = "exception until " + active->expires + ": " + active->reason + " — approved by " +
               active->approved_by;
    out.expired = nullptr;
  } else if (out.expired != nullptr) {
    out.status = Cell::kFail;
    out.note = "exception expired on " + out.expired->expires + " (" + soa->source() + ":" +
               std::to_string(out.expired->line) + "): it counts as failing again";
  }
  return out;
}

struct HostCell {
  // From the verdicts alone: its checks and every child's evidence.
  Cell evidence = Cell::kNoEvidence;
  std::vector<std::string> failing;
  // Its checks and what each child counts for after the statement.
  Cell counted = Cell::kNoEvidence;
  std::optional<Cell> rollup;  // what the parent counts; none: nothing
  Cell status = Cell::kNoEvidence;
  std::string note;
};

}  // namespace

void HostEvidence::Add(const v1::Evidence& ev, int64_t received_at_us) {
  // The chain orders an agent's records; its clock may not. A record dated
  // after it arrived counts from its arrival, so that it goes stale.
  const int64_t at = std::min(evidence::CollectedAtMicros(ev), received_at_us);
  if (ev.seq() >= last_seq) {
    last_seq = ev.seq();
    last_collected_at_us = at;
    hostname = ev.host().hostname();
    labels.clear();
    for (auto [key, value] :
         {std::pair{"service", &ev.labels().service()}, std::pair{"group", &ev.labels().group()},
          std::pair{"environment", &ev.labels().environment()}}) {
      if (!value->empty()) labels[key] = *value;
    }
  }
  if (ev.kind() != v1::OBSERVATION || ev.check_id().empty()) return;
  LatestVerdict& held = checks[ev.check_id()];
  if (held.seq > ev.seq()) return;
  held.seq = ev.seq();
  held.verdict = ev.verdict();
  held.collected_at_us = at;
  held.refresh_seconds = ev.refresh_seconds();
  held.signed_controls.assign(ev.controls().begin(), ev.controls().end());
}

Result<v1::ComplianceReport> BuildCompliance(const v1::ComplianceRequest& request,
                                             const ComplianceContext& context,
                                             const std::vector<HostEvidence>& all_hosts) {
  const controls::Catalog& catalog = *context.catalog;
  const controls::Mapping& mapping = *context.mapping;
  const std::string framework = request.framework().empty() ? "ismap" : request.framework();
  const controls::CatalogFramework* fw = catalog.Framework(framework);
  if (fw == nullptr) {
    std::string names;
    for (const auto& f : catalog.frameworks()) names += (names.empty() ? "" : ", ") + f.name;
    return Status::InvalidArgument("framework: no '" + framework + "' in the store's catalog (" +
                                   names + ")");
  }
  const std::string sort = request.sort().empty() ? "control" : request.sort();
  if (sort != "control" && sort != "importance" && sort != "status") {
    return Status::InvalidArgument("sort: '" + sort + "' is not control, importance or status");
  }
  if (!request.status().empty() &&
      std::find(kCellNames.begin(), kCellNames.end(), request.status()) == kCellNames.end()) {
    std::string names;
    for (std::string_view n : kCellNames) names += (names.empty() ? "" : ", ") + std::string(n);
    return Status::InvalidArgument("status: '" + request.status() + "' is not one of " + names);
  }
  const std::string today = platform::FormatUtcDate(context.now_us);

  std::map<std::string, const controls::Soa*> statements;
  for (const controls::Soa& soa : *context.statements) statements[soa.service()] = &soa;

  // The hosts, by hostname then agent id.
  std::vector<const HostEvidence*> hosts;
  for (const HostEvidence& h : all_hosts) {
    if (h.agent_id.rfind(request.agent_id(), 0) != 0) continue;
    auto service = h.labels.find("service");
    if (!request.service().empty() &&
        (service == h.labels.end() || service->second != request.service())) {
      continue;
    }
    hosts.push_back(&h);
  }
  std::sort(hosts.begin(), hosts.end(), [](const HostEvidence* a, const HostEvidence* b) {
    return std::tie(a->hostname, a->agent_id) < std::tie(b->hostname, b->agent_id);
  });

  v1::ComplianceReport report;
  report.set_generated_at_us(context.now_us);
  report.set_framework(framework);
  report.set_catalog_version(catalog.version());
  report.set_mapping_version(mapping.version());

  // Per control ref of the framework: its lineage, and the checks the store's
  // mapping puts on it (records of checks it lacks map by their signed refs).
  std::map<std::string, std::vector<std::string>> lineage;
  for (const controls::CatalogControl& k : fw->controls)
    lineage[k.Ref()] = Lineage(catalog, k.Ref());
  auto refs_of = [&](const std::string& check, const LatestVerdict& v) {
    return mapping.checks().contains(check) ? mapping.RefsFor(check) : v.signed_controls;
  };
  std::map<std::string, std::set<std::string>> row_checks;  // ref → checks at or below it
  auto note_check = [&](const std::string& ref, const std::string& check) {
    auto it = lineage.find(ref);
    if (it == lineage.end()) return;  // another framework, or not in the catalog
    for (const std::string& up : it->second) row_checks[up].insert(check);
  };
  for (const auto& [check, refs] : mapping.checks()) {
    for (const std::string& r : refs) note_check(r, check);
  }

  // cells[host][control index]
  std::vector<std::vector<HostCell>> cells(hosts.size(),
                                           std::vector<HostCell>(fw->controls.size()));
  std::map<const controls::SoaException*, std::vector<std::string>> expired_on;
  std::map<std::string, int> without_statement;  // service label → hosts
  std::set<const controls::Soa*> other_framework;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < fw->controls.size(); ++i) index[fw->controls[i].Ref()] = i;
  std::vector<std::vector<size_t>> children(fw->controls.size());
  for (size_t i = 0; i < fw->controls.size(); ++i) {
    const controls::CatalogControl& k = fw->controls[i];
    if (!k.parent.empty()) children[index.at(k.framework + ":" + k.parent)].push_back(i);
  }
  for (size_t h = 0; h < hosts.size(); ++h) {
    const HostEvidence& host = *hosts[h];
    auto service = host.labels.find("service");
    const std::string service_name = service == host.labels.end() ? "" : service->second;
    auto st = statements.find(service_name);
    const controls::Soa* soa = st == statements.end() ? nullptr : st->second;
    // A statement declares one framework's controls; it says nothing of another's.
    if (soa != nullptr && soa->framework() != framework) {
      other_framework.insert(soa);
      soa = nullptr;
    }
    auto* out_host = report.add_hosts();
    out_host->set_agent_id(host.agent_id);
    out_host->set_hostname(host.hostname);
    if (service != host.labels.end()) out_host->set_service(service->second);
    if (auto g = host.labels.find("group"); g != host.labels.end()) out_host->set_group(g->second);
    if (auto e = host.labels.find("environment"); e != host.labels.end())
      out_host->set_environment(e->second);
    out_host->set_last_collected_at_us(host.last_collected_at_us);
    if (soa != nullptr) {
      out_host->set_statement(soa->source());
    } else if (st == statements.end()) {
      ++without_statement[service_name];
    }

    // The checks this host reports on each control of the framework.
    std::map<std::string, std::vector<std::pair<std::string, Cell>>> direct;
    for (const auto& [check, verdict] : host.checks) {
      std::optional<Cell> c = OfVerdict(verdict, context);
      if (!c) continue;
      for (const std::string& r : refs_of(check, verdict)) {
        if (!index.contains(r)) continue;
        direct[r].emplace_back(check, *c);
        // Mapped checks are on their rows already; these map by signed refs.
        if (!mapping.checks().contains(check)) note_check(r, check);
      }
    }
    // Children come after their parents in the catalog: fill from the end.
    std::vector<HostCell>& row = cells[h];
    for (size_t i = fw->controls.size(); i-- > 0;) {
      const controls::CatalogControl& k = fw->controls[i];
      const std::string ref = k.Ref();
      HostCell& cell = row[i];
      for (const auto& [check, c] : direct[ref]) {
        cell.evidence = Worse(cell.evidence, c);
        if (Failing(c)) cell.failing.push_back(check);
      }
      cell.counted = cell.evidence;
      for (size_t child : children[i]) {
        const HostCell& cc = row[child];
        cell.evidence = Worse(cell.evidence, cc.evidence);
        if (Failing(cc.evidence)) {
          cell.failing.insert(cell.failing.end(), cc.failing.begin(), cc.failing.end());
        }
        if (cc.rollup) cell.counted = Worse(cell.counted, *cc.rollup);
      }
      std::sort(cell.failing.begin(), cell.failing.end());
      cell.failing.erase(std::unique(cell.failing.begin(), cell.failing.end()), cell.failing.end());
      // What the parent sees: a declaration or exception of this very control
      // takes it out of the roll-up, or (expired) fails it.
      const Applied own = Apply(soa, lineage[ref], host, today, /*own_only=*/true);
      cell.rollup = !own.status                 ? std::optional<Cell>(cell.counted)
                    : own.status == Cell::kFail ? std::optional<Cell>(Cell::kFail)
                                                : std::nullopt;
      const Applied applied = Apply(soa, lineage[ref], host, today, /*own_only=*/false);
      cell.status = applied.status.value_or(cell.counted);
      cell.note = applied.note;
      if (applied.expired != nullptr) expired_on[applied.expired].push_back(host.agent_id);
    }
  }

  // Rows, filtered and sorted.
  std::vector<size_t> rows;
  std::vector<Cell> row_status(fw->controls.size(), Cell::kNoEvidence);
  for (const controls::CatalogControl* k :
       controls::SelectControls(*fw, request.importance(), request.threat())) {
    const size_t i = index.at(k->Ref());
    Cell worst = Cell::kNoEvidence;
    int worst_rank = hosts.empty() ? FleetRank(Cell::kNoEvidence) : 99;
    for (const auto& host_cells : cells) {
      if (FleetRank(host_cells[i].status) < worst_rank) {
        worst = host_cells[i].status;
        worst_rank = FleetRank(worst);
      }
    }
    row_status[i] = worst;
    if (!request.status().empty() && Name(worst) != request.status()) continue;
    rows.push_back(i);
  }
  if (sort == "importance") {
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
      return controls::ImportanceRank(fw->controls[a].importance) <
             controls::ImportanceRank(fw->controls[b].importance);
    });
  } else if (sort == "status") {
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
      return FleetRank(row_status[a]) < FleetRank(row_status[b]);
    });
  }
  for (size_t i : rows) {
    const controls::CatalogControl& k = fw->controls[i];
    v1::ComplianceControl* c = report.add_controls();
    c->set_ref(k.Ref());
    c->set_oscal_id(controls::OscalId(k.Ref()));
    c->set_kind(k.kind);
    c->set_parent(k.parent.empty() ? "" : k.framework + ":" + k.parent);
    c->set_title_en(k.title_en);
    c->set_title_ja(k.title_ja);
    c->set_theme(k.theme);
    c->set_importance(k.importance);
    for (const std::string& t : k.threats) c->add_threats(t);
    c->set_provisional(k.provisional || fw->provisional);
    for (const std::string& check : row_checks[k.Ref()]) c->add_checks(check);
    c->set_status(std::string(Name(row_status[i])));
    for (size_t h = 0; h < hosts.size(); ++h) {
      const HostCell& cell = cells[h][i];
      v1::ComplianceCell* out = c->add_cells();
      out->set_agent_id(hosts[h]->agent_id);
      out->set_status(std::string(Name(cell.status)));
      out->set_evidence_status(std::string(Name(cell.evidence)));
      for (const std::string& f : cell.failing) out->add_failing_checks(f);
      out->set_note(cell.note);
    }
  }

  // Every expired exception of the statements in view raises an alert, with
  // the hosts it made fail.
  std::set<const controls::Soa*> in_view;
  for (const HostEvidence* h : hosts) {
    auto service = h->labels.find("service");
    if (service == h->labels.end()) continue;
    if (auto st = statements.find(service->second); st != statements.end())
      in_view.insert(st->second);
  }
  if (auto st = statements.find(request.service());
      !request.service().empty() && st != statements.end()) {
    in_view.insert(st->second);
  }
  for (const controls::Soa* soa : in_view) {
    for (const controls::SoaException& x : soa->exceptions()) {
      if (!x.ExpiredBefore(today)) continue;
      v1::ComplianceAlert* alert = report.add_alerts();
      alert->set_kind("exception-expired");
      alert->set_control(x.control);
      std::vector<std::string> agents = expired_on[&x];
      std::sort(agents.begin(), agents.end());
      agents.erase(std::unique(agents.begin(), agents.end()), agents.end());
      for (const std::string& a : agents) alert->add_agent_ids(a);
      alert->set_detail(soa->ExpiredNotice(x));
    }
  }
  for (const controls::Soa* soa : other_framework) {
    report.add_warnings(soa->source() + " states " + soa->framework() +
                        " controls: not applied to this " + framework + " report");
  }
  for (const auto& [service, n] : without_statement) {
    report.add_warnings((service.empty()
                             ? std::string("no service label")
                             : "no statement of applicability for service '" + service + "'") +
                        " on " + std::to_string(n) + (n == 1 ? " host" : " hosts") +
                        ": every control counts as implemented there");
  }
  return report;
}

}  // namespace shoko::store
