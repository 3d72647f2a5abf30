#include "collectors/patch/apt_conf.h"

#include <cctype>

namespace shoko::collectors::patch {
namespace {

// apt.conf files are small; anything bigger is not one.
constexpr size_t kMaxAptConfBytes = 4u << 20;

struct Token {
  enum Kind { kWord, kString, kOpen, kClose, kSemicolon, kDirective, kEnd } kind;
  std::string text;
  int line;
};

class Lexer {
 public:
  Lexer(std::string_view text) : text_(text) {}

  Result<Token> Next() {
    for (;;) {
      while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) {
        if (text_[pos_] == '\n') ++line_;
        ++pos_;
      }
      if (pos_ >= text_.size()) return Token{Token::kEnd, "", line_};
      if (text_.substr(pos_, 6) == "#clear" || text_.substr(pos_, 8) == "#include") {
        const size_t n = text_[pos_ + 1] == 'c' ? 6 : 8;
        std::string word(text_.substr(pos_, n));
        pos_ += n;
        return Token{Token::kDirective, std::move(word), line_};
      }
      if (text_.substr(pos_, 2) == "//" || text_[pos_] == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
        continue;
      }
      if (text_.substr(pos_, 2) == "/*") {
        size_t end = text_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) return Error("unterminated /* comment");
        for (size_t k = pos_; k < end; ++k) line_ += text_[k] == '\n';
        pos_ = end + 2;
        continue;
      }
      break;
    }
    const int line = line_;
    char c = text_[pos_];
    if (c == '{') return ++pos_, Token{Token::kOpen, "{", line};
    if (c == '}') return ++pos_, Token{Token::kClose, "}", line};
    if (c == ';') return ++pos_, Token{Token::kSemicolon, ";", line};
    if (c == '"') {
      size_t end = text_.find('"', pos_ + 1);
      if (end == std::string_view::npos) return Error("unterminated string");
      std::string value(text_.substr(pos_ + 1, end - pos_ - 1));
      for (char ch : value) line_ += ch == '\n';
      pos_ = end + 1;
      return Token{Token::kString, std::move(value), line};
    }
    size_t start = pos_;
    while (pos_ < text_.size() && !std::isspace(static_cast<unsigned char>(text_[pos_])) &&
           text_[pos_] != '{' && text_[pos_] != '}' && text_[pos_] != ';' && text_[pos_] != '"') {
      ++pos_;
    }
    return Token{Token::kWord, std::string(text_.substr(start, pos_ - start)), line};
  }

  int line() const { return line_; }

 private:
  Status Error(const std::string& why) const {
    return Status::Corruption("line " + std::to_string(line_) + ": " + why);
  }
  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

std::string Join(const std::vector<std::string>& scope, const std::string& name) {
  std::string full;
  for (const std::string& s : scope) full += s + "::";
  return full + name;
}

bool AptAcceptsName(const std::string& name) {
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  size_t dot = name.rfind('.');
  return dot == std::string::npos || name.substr(dot) == ".conf";
}

}  // namespace

std::string AptConf::Key(std::string_view name) {
  std::string key(name);
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (key.size() >= 2 && key.compare(key.size() - 2, 2, "::") == 0) key.resize(key.size() - 2);
  return key;
}

void AptConf::Clear(const std::string& name) {
  const std::string key = Key(name);
  for (auto it = values_.begin(); it != values_.end();) {
    const bool under = it->first == key || it->first.rfind(key + "::", 0) == 0;
    it = under ? values_.erase(it) : std::next(it);
  }
}

void AptConf::Assign(const std::string& full, const std::string& value, const std::string& origin) {
  Value& v = values_[Key(full)];
  if (v.name.empty()) v.name = full;
  const bool is_item = full.size() >= 2 && full.compare(full.size() - 2, 2, "::") == 0;
  if (is_item) {
    v.items.push_back(value);
  } else {
    v.value = value;
  }
  v.origin = origin;
}

void AptConf::AddItem(const std::string& list, const std::string& item, const std::string& origin) {
  Value& v = values_[Key(list)];
  if (v.name.empty()) v.name = list;
  v.items.push_back(item);
  v.origin = origin;
}

Status AptConf::Parse(std::string_view text, std::string_view file) {
  Lexer lexer(text);
  std::vector<std::string> scope;
  auto fail = [&](int line, const std::string& why) {
    return Status::Corruption(std::string(file) + ":" + std::to_string(line) + ": " + why);
  };
  auto next = [&]() -> Result<Token> {
    auto t = lexer.Next();
    if (!t.ok()) return Status::Corruption(std::string(file) + ": " + t.status().message());
    return t;
  };
  for (;;) {
    SHOKO_ASSIGN_OR_RETURN(Token t, next());
    if (t.kind == Token::kEnd) break;
    if (t.kind == Token::kSemicolon) continue;
    if (t.kind == Token::kClose) {
      if (scope.empty()) return fail(t.line, "'}' without an open scope");
      scope.pop_back();
      continue;
    }
    const std::string origin = std::string(file) + ":" + std::to_string(t.line);
    if (t.kind == Token::kDirective) {  // #clear NAME; or #include FILE;
      SHOKO_ASSIGN_OR_RETURN(Token arg, next());
      if (arg.kind != Token::kWord && arg.kind != Token::kString) {
        return fail(arg.line, t.text + " needs an argument");
      }
      if (t.text == "#clear") {
        Clear(Join(scope, arg.text));
      } else {
        includes_.push_back(arg.text);
      }
      SHOKO_ASSIGN_OR_RETURN(Token end, next());
      if (end.kind != Token::kSemicolon) return fail(end.line, "expected ';' after " + t.text);
      continue;
    }
    if (t.kind != Token::kWord && t.kind != Token::kString) return fail(t.line, "expected a name");
    // A name (quoted or not) followed by a value, a scope, or ';' (then it is
    // itself a list item of the enclosing scope).
    SHOKO_ASSIGN_OR_RETURN(Token value, next());
    if (value.kind == Token::kSemicolon) {
      if (scope.empty()) return fail(t.line, "a value without a name");
      AddItem(Join(std::vector<std::string>(scope.begin(), scope.end() - 1), scope.back()), t.text,
              origin);
      continue;
    }
    if (value.kind == Token::kOpen) {
      std::string inner = t.text;
      while (inner.size() >= 2 && inner.compare(inner.size() - 2, 2, "::") == 0) {
        inner.resize(inner.size() - 2);
      }
      scope.push_back(inner);
      continue;
    }
    if (value.kind != Token::kString && value.kind != Token::kWord) {
      return fail(value.line, "expected a value, '{' or ';' after " + t.text);
    }
    const std::string full = Join(scope, t.text);
    Assign(full, value.text, origin);
    SHOKO_ASSIGN_OR_RETURN(Token end, next());
    if (end.kind != Token::kSemicolon) return fail(end.line, "expected ';' after " + full);
  }
  if (!scope.empty()) return fail(lexer.line(), "scope '" + scope.back() + "' is never closed");
  return Status::OK();
}

std::string AptConf::Get(std::string_view name, std::string_view fallback) const {
  auto it = values_.find(Key(name));
  if (it == values_.end() || it->second.value.empty()) return std::string(fallback);
  return it->second.value;
}

std::vector<std::string> AptConf::List(std::string_view name) const {
  auto it = values_.find(Key(name));
  return it == values_.end() ? std::vector<std::string>{} : it->second.items;
}

std::string AptConf::Origin(std::string_view name) const {
  auto it = values_.find(Key(name));
  return it == values_.end() ? "" : it->second.origin;
}

Result<AptConf> LoadAptConf(const platform::Env& env, std::vector<std::string>* files) {
  AptConf conf;
  std::vector<std::string> paths;
  auto names = env.ListDir("/etc/apt/apt.conf.d");
  if (names.ok()) {
    for (const std::string& n : *names) {
      const std::string path = "/etc/apt/apt.conf.d/" + n;
      auto info = env.Stat(path);
      // apt skips what is not a regular file (a backup/ directory, say).
      if (!AptAcceptsName(n) || !info.ok() || info->type != platform::FileInfo::Type::kRegular) {
        continue;
      }
      paths.push_back(path);
    }
  }
  paths.push_back("/etc/apt/apt.conf");
  // #include'd files are read after the file that names them (apt reads them
  // in place; only the order of conflicting settings differs), at most 64.
  size_t budget = 64;
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string path = paths[i];  // a copy: includes are inserted below
    auto text = env.ReadFile(path, kMaxAptConfBytes);
    if (!text.ok()) {
      if (text.status().IsNotFound()) continue;
      return text.status();
    }
    conf.includes_.clear();
    if (Status s = conf.Parse(*text, env.Describe(path)); !s.ok()) return s;
    if (files != nullptr) files->push_back(path);
    const std::string dir = path.substr(0, path.rfind('/'));
    size_t at = i + 1;
    for (const std::string& inc : conf.includes_) {
      if (budget-- == 0) {
        return Status::InvalidArgument(env.Describe(path) + ": more than 64 #include files");
      }
      paths.insert(paths.begin() + static_cast<std::ptrdiff_t>(at++),
                   inc.empty() || inc[0] != '/' ? dir + "/" + inc : inc);
    }
  }
  return conf;
}

}  // namespace shoko::collectors::patch
