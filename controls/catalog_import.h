// Importers for the tables the control standards are published as: the ISMAP
// control table (CSV as Excel saves it, UTF-8 or Shift_JIS) to catalog YAML,
// and an old-id → new-id correspondence table to re-map a mapping. The day
// the final standard is published, a CSP imports it and the mappings follow.
#ifndef SHOKO_CONTROLS_CATALOG_IMPORT_H_
#define SHOKO_CONTROLS_CATALOG_IMPORT_H_

#include <string>
#include <string_view>
#include <vector>

#include "controls/mapping.h"
#include "platform/status.h"

namespace shoko::controls {

// One CSV row and the line of the file it starts on.
struct CsvRow {
  std::vector<std::string> cells;
  int line = 0;
};

// RFC 4180 with Excel's habits: a UTF-8 byte-order mark, CRLF or LF, quoted
// cells holding commas, doubled quotes and line breaks, ="…" text cells.
// Errors name `source` and the line: an unterminated quote, a stray quote.
Result<std::vector<CsvRow>> ParseCsv(std::string_view text, const std::string& source);

// `bytes` as UTF-8: unchanged when they are valid UTF-8 ("auto" or "utf-8"),
// else decoded from Shift_JIS (Windows code page 932, as Japanese Excel
// writes it) with iconv. `encoding` is auto, utf-8 or shift_jis.
Result<std::string> ToUtf8(std::string_view bytes, std::string_view encoding,
                           const std::string& source);

struct IsmapImportOptions {
  std::string framework = "ismap";
  std::string title = "ISMAP control standard (imported)";
  std::string status;  // e.g. final-2026-04; required
  std::string source;  // where the table came from; required
  bool provisional = false;
};

// The ISMAP table (番号 | 統制目標 | 番号 | 詳細管理策 | (参考)定型管理策 |
// (参考)手引き, the header found by name, full- or half-width brackets) as
// catalog YAML. An objective's number and title may be left empty on the rows
// after its first (merged cells); a detailed control must sit under its
// objective. Errors name the file and line.
Result<std::string> ImportIsmapCsv(const std::vector<CsvRow>& rows, const std::string& source,
                                   const IsmapImportOptions& options);

// An old → new correspondence (two columns, a header row naming them; one old
// id may have several rows) applied to `mapping`: every check with a ref in
// `from` also gets the `to` refs its old ids correspond to. Returns mapping
// YAML; ids with no correspondence are listed in `unmatched`.
Result<std::string> ApplyCrosswalkCsv(const std::vector<CsvRow>& rows, const std::string& source,
                                      const Mapping& mapping, const std::string& from,
                                      const std::string& to, std::vector<std::string>* unmatched);

}  // namespace shoko::controls

#endif  // SHOKO_CONTROLS_CATALOG_IMPORT_H_
