#include "controls/catalog_import.h"

#include <iconv.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <map>
#include <set>

#include "controls/control_ref.h"

namespace shoko::controls {
namespace {

Status Error(const std::string& source, int line, const std::string& what) {
  return Status::InvalidArgument(source + ":" + std::to_string(line) + ": " + what);
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xe  ? 3
                     : (c >> 3) == 0x1e ? 4
                                        : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

std::string Trim(std::string s) {
  // ASCII blanks and the ideographic space U+3000.
  auto strip = [&](bool front) {
    while (!s.empty()) {
      if (front ? (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')
                : (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        if (front) {
          s.erase(0, 1);
        } else {
          s.pop_back();
        }
      } else if (front && s.starts_with("\xe3\x80\x80")) {
        s.erase(0, 3);
      } else if (!front && s.ends_with("\xe3\x80\x80")) {
        s.resize(s.size() - 3);
      } else {
        break;
      }
    }
  };
  strip(true);
  strip(false);
  return s;
}

// Header cells compared without blanks and with full-width brackets and
// digits folded to ASCII: "（参考）手引き" == "(参考)手引き".
std::string Fold(std::string s) {
  s = Trim(s);
  static const std::pair<const char*, const char*> kWide[] = {
      {"\xef\xbc\x88", "("}, {"\xef\xbc\x89", ")"}, {"\xe3\x80\x80", ""}, {" ", ""}};
  for (const auto& [wide, narrow] : kWide) {
    for (size_t at = s.find(wide); at != std::string::npos; at = s.find(wide, at)) {
      s.replace(at, std::string_view(wide).size(), narrow);
      at += std::string_view(narrow).size();
    }
  }
  return s;
}

// A control number as the tables write it: "5.6", "５．６", "5.6.1 ".
std::string Number(std::string s) {
  s = Trim(s);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    // Full-width digits U+FF10..FF19 (EF BC 90..99) and full stop U+FF0E (EF BC 8E).
    if (c == 0xef && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xbc) {
      const auto d = static_cast<unsigned char>(s[i + 2]);
      if (d >= 0x90 && d <= 0x99) {
        out += static_cast<char>('0' + (d - 0x90));
        i += 2;
        continue;
      }
      if (d == 0x8e) {
        out += '.';
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

Result<std::vector<CsvRow>> ParseCsv(std::string_view text, const std::string& source) {
  if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string cell;
  int line = 1;
  row.line = 1;
  bool quoted = false, was_quoted = false;
  auto end_cell = [&] {
    // Excel's ="0012" keeps a leading zero: the text is what is inside.
    if (!was_quoted && cell.size() >= 3 && cell.starts_with("=\"") && cell.ends_with("\"")) {
      cell = cell.substr(2, cell.size() - 3);
    }
    row.cells.push_back(std::move(cell));
    cell.clear();
    was_quoted = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        if (c != '\r') cell += c;  // line breaks inside a cell become LF
      }
      continue;
    }
    if (c == '"') {
      if (!Trim(cell).empty()) {
        // A quote inside an unquoted cell: Excel's ="…" form, else an error.
        if (cell == "=") {
          cell += c;
          for (++i; i < text.size() && text[i] != '"'; ++i) cell += text[i];
          if (i >= text.size()) return Error(source, line, "unterminated quote");
          cell += '"';
          continue;
        }
        return Error(source, line, "a quote inside an unquoted cell");
      }
      cell.clear();
      quoted = was_quoted = true;
    } else if (c == ',') {
      end_cell();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_cell();
      rows.push_back(std::move(row));
      row = CsvRow{};
      row.line = ++line;
    } else {
      cell += c;
    }
  }
  if (quoted) return Error(source, row.line, "a quoted cell is never closed");
  if (!cell.empty() || !row.cells.empty()) {
    end_cell();
    rows.push_back(std::move(row));
  }
  // Blank rows (every cell empty) carry nothing.
  std::erase_if(rows, [](const CsvRow& r) {
    for (const std::string& c : r.cells) {
      if (!Trim(c).empty()) return false;
    }
    return true;
  });
  return rows;
}

Result<std::string> ToUtf8(std::string_view bytes, std::string_view encoding,
                           const std::string& source) {
  if (encoding != "auto" && encoding != "utf-8" && encoding != "shift_jis") {
    return Status::InvalidArgument("--encoding: expected auto, utf-8 or shift_jis, not " +
                                   std::string(encoding));
  }
  if (encoding != "shift_jis" && ValidUtf8(bytes)) return std::string(bytes);
  if (encoding == "utf-8") return Status::InvalidArgument(source + ": not valid UTF-8");
  iconv_t cd = ::iconv_open("UTF-8", "CP932");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return Status::Internal("iconv cannot convert from CP932 (Shift_JIS) here");
  }
  std::string out(bytes.size() * 3 + 16, '\0');
  char* in_ptr = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* out_ptr = out.data();
  size_t out_left = out.size();
  const size_t r = ::iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
  const int err = errno;
  ::iconv_close(cd);
  if (r == static_cast<size_t>(-1)) {
    const size_t at = bytes.size() - in_left;
    size_t line = 1;
    for (size_t i = 0; i < at; ++i) line += bytes[i] == '\n';
    return Status::InvalidArgument(source + ":" + std::to_string(line) +
                                   ": neither UTF-8 nor Shift_JIS (byte " + std::to_string(at) +
                                   (err == EINVAL ? ": truncated character)" : ")"));
  }
  out.resize(out.size() - out_left);
  return out;
}

namespace {

// Where the ISMAP table's columns are: the header is the first row naming
// 統制目標 and 詳細管理策 with two 番号 columns before them.
struct IsmapColumns {
  size_t header = 0;  // the header's row
  int objective_no = -1, objective_title = -1, detailed_no = -1, detailed_text = -1, reference = -1,
      guidance = -1;

  // The trimmed cell of `row` in column `c`, or "" when there is none.
  static std::string Cell(const CsvRow& row, int c) {
    return c >= 0 && static_cast<size_t>(c) < row.cells.size() ? Trim(row.cells[c]) : std::string();
  }
};

Result<IsmapColumns> FindIsmapHeader(const std::vector<CsvRow>& rows, const std::string& source) {
  for (size_t r = 0; r < rows.size(); ++r) {
    IsmapColumns k;
    std::vector<int> numbers;
    for (size_t c = 0; c < rows[r].cells.size(); ++c) {
      const std::string f = Fold(rows[r].cells[c]);
      const int ci = static_cast<int>(c);
      if (f == "番号" || f == "No." || f == "No") numbers.push_back(ci);
      if (f == "統制目標") k.objective_title = ci;
      if (f == "詳細管理策") k.detailed_text = ci;
      if (f == "(参考)定型管理策" || f == "定型管理策") k.reference = ci;
      if (f == "(参考)手引き" || f == "手引き") k.guidance = ci;
    }
    if (k.objective_title >= 0 && k.detailed_text >= 0 && numbers.size() >= 2) {
      k.header = r;
      k.objective_no = numbers[0];
      k.detailed_no = numbers[1];
      return k;
    }
  }
  return Status::InvalidArgument(source +
                                 ": no header row with 番号, 統制目標, 番号 and 詳細管理策");
}

// The catalog YAML an import writes, one control at a time.
class IsmapCatalogYaml {
 public:
  explicit IsmapCatalogYaml(const IsmapImportOptions& options) {
    y_ << YAML::BeginMap << YAML::Key << "version" << YAML::Value << options.status;
    y_ << YAML::Key << "frameworks" << YAML::Value << YAML::BeginMap;
    y_ << YAML::Key << options.framework << YAML::Value << YAML::BeginMap;
    y_ << YAML::Key << "title" << YAML::Value << options.title;
    y_ << YAML::Key << "status" << YAML::Value << options.status;
    y_ << YAML::Key << "source" << YAML::Value << options.source;
    y_ << YAML::Key << "provisional" << YAML::Value << options.provisional;
    y_ << YAML::Key << "controls" << YAML::Value << YAML::BeginSeq;
  }
  // Its theme follows from its number: 5 organizational … 8 technological.
  void Objective(const std::string& id, const std::string& title) {
    y_ << YAML::BeginMap << YAML::Key << "id" << YAML::Value << YAML::DoubleQuoted << id;
    y_ << YAML::Key << "kind" << YAML::Value << "objective";
    y_ << YAML::Key << "title_ja" << YAML::Value << title;
    static const std::map<char, const char*> kThemes = {
        {'5', "organizational"}, {'6', "people"}, {'7', "physical"}, {'8', "technological"}};
    if (id.size() > 1 && id[1] == '.' && kThemes.contains(id[0])) {
      y_ << YAML::Key << "theme" << YAML::Value << kThemes.at(id[0]);
    }
    y_ << YAML::EndMap;
  }
  void Detailed(const std::string& id, const std::string& parent, const std::string& text,
                const std::string& reference, const std::string& guidance) {
    y_ << YAML::BeginMap << YAML::Key << "id" << YAML::Value << YAML::DoubleQuoted << id;
    y_ << YAML::Key << "kind" << YAML::Value << "detailed";
    y_ << YAML::Key << "parent" << YAML::Value << YAML::DoubleQuoted << parent;
    y_ << YAML::Key << "title_ja" << YAML::Value << text;
    if (!reference.empty()) y_ << YAML::Key << "reference_ja" << YAML::Value << reference;
    if (!guidance.empty()) y_ << YAML::Key << "guidance_ja" << YAML::Value << guidance;
    y_ << YAML::EndMap;
  }
  std::string Finish() {
    y_ << YAML::EndSeq << YAML::EndMap << YAML::EndMap << YAML::EndMap;
    return std::string(y_.c_str()) + "\n";
  }

 private:
  YAML::Emitter y_;
};

}  // namespace

Result<std::string> ImportIsmapCsv(const std::vector<CsvRow>& rows, const std::string& source,
                                   const IsmapImportOptions& options) {
  if (options.status.empty() || options.source.empty()) {
    return Status::InvalidArgument(
        "the import needs --status and --source (where the table "
        "comes from)");
  }
  SHOKO_ASSIGN_OR_RETURN(const IsmapColumns k, FindIsmapHeader(rows, source));
  IsmapCatalogYaml yaml(options);
  std::string current;  // the objective rows below belong to
  std::set<std::string> ids;
  size_t objectives = 0;
  for (size_t r = k.header + 1; r < rows.size(); ++r) {
    const CsvRow& row = rows[r];
    const std::string ono = Number(k.Cell(row, k.objective_no));
    const std::string otitle = k.Cell(row, k.objective_title);
    const std::string dno = Number(k.Cell(row, k.detailed_no));
    const std::string dtext = k.Cell(row, k.detailed_text);
    if (!ono.empty() && ono != current) {
      if (!IsValidControlRef(options.framework + ":" + ono) || ono.find('.') == std::string::npos) {
        return Error(source, row.line, "'" + ono + "' is not an objective number (such as 5.6)");
      }
      if (otitle.empty()) return Error(source, row.line, "objective " + ono + " has no 統制目標");
      if (!ids.insert(ono).second) return Error(source, row.line, ono + " is listed twice");
      current = ono;
      ++objectives;
      yaml.Objective(ono, otitle);
    }
    if (dno.empty() && dtext.empty()) continue;
    if (current.empty()) return Error(source, row.line, "a detailed control before any objective");
    if (dno.empty()) return Error(source, row.line, "詳細管理策 without its 番号");
    if (!IsValidControlRef(options.framework + ":" + dno) || !dno.starts_with(current + ".")) {
      return Error(source, row.line,
                   "'" + dno + "' is not a detailed control of objective " + current);
    }
    if (dtext.empty()) return Error(source, row.line, dno + " has no 詳細管理策 text");
    if (!ids.insert(dno).second) return Error(source, row.line, dno + " is listed twice");
    yaml.Detailed(dno, current, dtext, k.Cell(row, k.reference), k.Cell(row, k.guidance));
  }
  std::string out = yaml.Finish();
  if (objectives == 0) return Status::InvalidArgument(source + ": no objectives below the header");
  return out;
}

Result<std::string> ApplyCrosswalkCsv(const std::vector<CsvRow>& rows, const std::string& source,
                                      const Mapping& mapping, const std::string& from,
                                      const std::string& to, std::vector<std::string>* unmatched) {
  if (rows.size() < 2)
    return Status::InvalidArgument(source + ": no correspondences below a header");
  std::map<std::string, std::vector<std::string>> next;  // old id → new ids
  for (size_t r = 1; r < rows.size(); ++r) {
    const CsvRow& row = rows[r];
    if (row.cells.size() < 2) return Error(source, row.line, "expected old id, new id");
    const std::string old_id = Number(row.cells[0]);
    const std::string new_id = Number(row.cells[1]);
    if (!IsValidControlRef(from + ":" + old_id)) {
      return Error(source, row.line, "'" + old_id + "' is not a " + from + " id");
    }
    if (new_id.empty() || new_id == "-") {  // withdrawn: no successor
      next[old_id];
      continue;
    }
    if (!IsValidControlRef(to + ":" + new_id)) {
      return Error(source, row.line, "'" + new_id + "' is not a " + to + " id");
    }
    next[old_id].push_back(new_id);
  }
  YAML::Emitter y;
  y << YAML::BeginMap << YAML::Key << "version" << YAML::Value << mapping.version() + "+crosswalk";
  y << YAML::Key << "checks" << YAML::Value << YAML::BeginMap;
  std::set<std::string> missing;
  for (const auto& [check, refs] : mapping.checks()) {
    std::vector<std::string> out = refs;
    for (const std::string& ref : refs) {
      if (!ref.starts_with(from + ":")) continue;
      const std::string old_id = ref.substr(from.size() + 1);
      auto it = next.find(old_id);
      if (it == next.end()) {
        missing.insert(ref);
        continue;
      }
      for (const std::string& n : it->second) {
        const std::string add = to + ":" + n;
        if (std::find(out.begin(), out.end(), add) == out.end()) out.push_back(add);
      }
    }
    y << YAML::Key << check << YAML::Value << YAML::BeginSeq;
    for (const std::string& r : out) y << r;
    y << YAML::EndSeq;
  }
  y << YAML::EndMap << YAML::EndMap;
  if (unmatched != nullptr) unmatched->assign(missing.begin(), missing.end());
  return std::string(y.c_str()) + "\n";
}

}  // namespace shoko::controls
