// Args over CLI11, and --help, both from a ToolSpec (see flags.h).
#include "common/flags.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>

#include "sluice/status.h"

namespace sluice::cli {

namespace {

std::string long_form(const Flag& f) {
  return "--" + std::string(f.name);
}

// "-o, --from POS" as --help and the man page show it.
std::string flag_label(const Flag& f) {
  std::string s;
  if (f.short_name != 0) s += std::string("-") + f.short_name + ", ";
  s += long_form(f);
  if (!f.value_name.empty()) s += " " + std::string(f.value_name);
  return s;
}

// Wraps `text` at `width` columns, each line indented by `indent`.
void wrap(std::string& out, std::string_view text, size_t indent, size_t width, size_t col) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(pos, end - pos);
    if (col > indent && col + 1 + word.size() > width) {
      out += "\n" + std::string(indent, ' ');
      col = indent;
    } else if (col > indent) {
      out += ' ';
      ++col;
    }
    out += word;
    col += word.size();
    pos = end + 1;
  }
  out += '\n';
}

void item(std::string& out, const std::string& label, std::string_view help) {
  constexpr size_t kColumn = 28, kWidth = 80;
  out += "  " + label;
  size_t col = 2 + label.size();
  if (col + 2 > kColumn) {
    out += "\n" + std::string(kColumn, ' ');
  } else {
    out += std::string(kColumn - col, ' ');
  }
  wrap(out, help, kColumn, kWidth, kColumn);
}

}  // namespace

std::string ToolSpec::usage() const {
  std::string s = "[OPTIONS]";
  for (const Positional& p : positionals) {
    s += " ";
    s += p.optional ? "[" + std::string(p.name) + "]" : std::string(p.name);
  }
  return s;
}

const Flag* ToolSpec::find(std::string_view long_name) const {
  for (const Flag& f : flags) {
    if (f.name == long_name) return &f;
  }
  return nullptr;
}

std::string render_help(const ToolSpec& spec) {
  std::string out = "Usage: " + std::string(spec.name) + " " + spec.usage() + "\n\n";
  wrap(out, spec.about, 0, 80, 0);
  if (!spec.positionals.empty()) {
    out += "\nArguments:\n";
    for (const Positional& p : spec.positionals) item(out, std::string(p.name), p.help);
  }
  out += "\nOptions:\n";
  for (const Flag& f : spec.flags) {
    std::string help(f.help);
    if (!f.default_value.empty()) help += " (default " + std::string(f.default_value) + ")";
    item(out, flag_label(f), help);
  }
  out += "\nSee sluice-" + std::string(spec.name) +
         "(1) and sluice(7). Exit status follows sysexits(3).\n";
  return out;
}

int usage_error(std::string_view tool, std::string_view message) {
  std::fprintf(stderr, "%.*s: %.*s (see '%.*s --help')\n", static_cast<int>(tool.size()),
               tool.data(), static_cast<int>(message.size()), message.data(),
               static_cast<int>(tool.size()), tool.data());
  return static_cast<int>(ExitCode::kUsage);
}

int Args::parse(const ToolSpec& spec, int argc, char** argv) {
  spec_ = &spec;
  // CLI11 does the tokenising (--name=value, -xVALUE, bundled switches,
  // "--"); every word it does not know comes back in remaining(), so
  // unknown options and the positional arguments are judged here, in our
  // words, and CLI11 never converts or validates a value.
  CLI::App app{std::string(spec.about), std::string(spec.name)};
  app.set_help_flag();
  app.allow_extras();
  app.prefix_command(false);
  std::map<std::string, std::vector<std::string>> raw;
  std::map<std::string, int64_t> counts;
  bool help = false, version = false;
  app.add_flag("-h,--help", help);
  app.add_flag("-V,--version", version);
  for (const Flag& f : spec.flags) {
    if (f.name == "help" || f.name == "version") continue;
    std::string names = f.short_name != 0 ? std::string("-") + f.short_name + "," : "";
    names += long_form(f);
    if (f.arity == Arity::kSwitch) {
      app.add_flag(names, counts[std::string(f.name)]);
    } else {
      auto* opt = app.add_option(names, raw[std::string(f.name)]);
      opt->expected(1);
      opt->allow_extra_args(false);
      opt->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    for (const Flag& f : spec.flags) {
      const std::string lf = long_form(f);
      if (msg.find(lf) == std::string::npos) continue;
      if (f.arity == Arity::kSwitch) return usage_error(spec.name, lf + " takes no value");
      return usage_error(spec.name, lf + " needs a value (" + std::string(f.value_name) + ")");
    }
    if (!msg.empty()) msg[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(msg[0])));
    return usage_error(spec.name, msg);
  }
  if (help) {
    std::fputs(render_help(spec).c_str(), stdout);
    return 0;
  }
  if (version) {
    std::printf("%.*s (sluice) %s\n", static_cast<int>(spec.name.size()), spec.name.data(),
                SLUICE_VERSION);
    return 0;
  }
  bool dashdash = false;
  for (const std::string& word : app.remaining()) {
    if (!dashdash && word == "--") {
      dashdash = true;
      continue;
    }
    if (!dashdash && word.size() > 1 && word[0] == '-' &&
        !(word.size() > 1 && std::isdigit(static_cast<unsigned char>(word[1])))) {
      std::string name = word.substr(0, word.find('='));
      return usage_error(spec.name, "unknown option '" + name + "'");
    }
    positionals_.push_back(word);
  }
  size_t required = 0;
  for (const Positional& p : spec.positionals) required += p.optional ? 0 : 1;
  const std::string usage = "usage: " + std::string(spec.name) + " " + spec.usage();
  if (positionals_.size() < required) {
    return usage_error(spec.name, "missing arguments; " + usage);
  }
  const bool many = !spec.positionals.empty() && spec.positionals.back().many;
  if (!many && positionals_.size() > spec.positionals.size()) {
    return usage_error(spec.name, "too many arguments; " + usage);
  }
  for (auto& [name, vals] : raw) {
    if (!vals.empty()) values_[name] = std::move(vals);
  }
  for (auto& [name, n] : counts) {
    if (n > 0) switches_[name] = static_cast<int>(n);
  }
  return -1;
}

bool Args::has(std::string_view name) const {
  return values_.find(name) != values_.end() || switches_.find(name) != switches_.end();
}

std::string Args::value(std::string_view name) const {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second.back();
  const Flag* f = spec_ != nullptr ? spec_->find(name) : nullptr;
  return f != nullptr ? std::string(f->default_value) : std::string();
}

const std::vector<std::string>& Args::values(std::string_view name) const {
  static const std::vector<std::string> kNone;
  auto it = values_.find(name);
  return it == values_.end() ? kNone : it->second;
}

bool Args::integer(std::string_view name, int64_t fallback, int64_t* out, int* exit_code) const {
  *out = fallback;
  if (!has(name)) return true;
  const std::string v = value(name);
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
  if (ec == std::errc() && end == v.data() + v.size()) return true;
  *exit_code =
      usage_error(spec_->name, "--" + std::string(name) + ": '" + v + "' is not a whole number");
  return false;
}

bool Args::choice(std::string_view name, std::string* out, int* exit_code) const {
  *out = value(name);
  const Flag* f = spec_->find(name);
  if (f == nullptr || f->choices.empty()) return true;
  std::vector<std::string_view> words;
  for (std::string_view rest = f->choices; !rest.empty();) {
    size_t sp = rest.find(' ');
    words.push_back(rest.substr(0, sp));
    if (words.back() == *out) return true;
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  }
  // "expected initial, never, only or when-needed"
  std::string list;
  for (size_t i = 0; i < words.size(); ++i) {
    list += i == 0 ? "" : i + 1 == words.size() ? " or " : ", ";
    list += words[i];
  }
  *exit_code =
      usage_error(spec_->name, "--" + std::string(name) + " '" + *out + "': expected " + list);
  return false;
}

}  // namespace sluice::cli
