// The one table a tool's flags live in. From a ToolSpec come the
// command-line parser (Args, over CLI11), --help, the OPTIONS section of the
// tool's man page and the bash, zsh and fish completions (gen-docs writes
// the last two; tests/cli/t0004-generated.sh fails when they are stale).
// The model is ripgrep's crates/core/flags: one set of definitions, every
// surface generated from it.
//
// A tool declares `inline constexpr ToolSpec kSpec` in tools/<tool>/flags.h
// from its own rows and the shared rows of shared_flags.h, parses with
// Args::parse() and reads typed values back; every usage error, the
// parser's included, is one house-style line on stderr and exit 64.
//
// Thread safety: none needed; used once, from main().
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::cli {

// How many values a flag takes.
enum class Arity {
  kSwitch,  // no value; may be given more than once
  kOne,     // one value; given again, the last one wins (as getopt)
  kMany,    // one value per use, repeatable (-H a=1 -H b=2)
};

// What a shell completes for a flag's value or a positional argument.
enum class Hint {
  kNone,     // free text: complete nothing
  kFile,     // a path
  kStream,   // a stream URI (file:, kafka://, redis://, -)
  kChoices,  // only the words of Flag::choices
  kSuggest,  // the words of Flag::choices, or anything else
};

struct Flag {
  std::string_view name;        // the long name, without "--"
  char short_name = 0;          // 0: none (see kShortFlags in shared_flags.h)
  std::string_view value_name;  // "N", "DUR"; empty for a switch
  Arity arity = Arity::kSwitch;
  // What the tool uses when the flag is not given (empty: nothing, or a
  // default the help explains in words); --help shows it.
  std::string_view default_value;
  std::string_view help;  // one line for --help and the completions
  std::string_view doc;   // the man page's paragraph, in roff
  Hint hint = Hint::kNone;
  std::string_view choices;  // space-separated words for kChoices/kSuggest
};

struct Positional {
  std::string_view name;  // as in the usage line: "STREAM", "PIPE|-"
  std::string_view help;  // one line for --help
  Hint hint = Hint::kNone;
  bool optional = false;  // shown in [brackets]; the tool decides which it was
  bool many = false;      // the last one only: takes every argument left (SOURCE...)
};

struct ToolSpec {
  std::string_view name;     // "tap"
  std::string_view summary;  // one line for `sluice help`
  std::string_view about;    // the paragraph at the top of --help
  std::span<const Positional> positionals;
  std::span<const Flag> flags;
  // The usage line after the tool's name, e.g. "[OPTIONS] STREAM [PIPE|-]".
  std::string usage() const;
  const Flag* find(std::string_view long_name) const;
};

// --help text: usage, about, arguments, options, see-also footer.
std::string render_help(const ToolSpec& spec);

// The parsed command line of one tool.
class Args {
 public:
  // Parses argv. Returns -1 when the tool should run; otherwise the exit
  // code to return at once: 0 after --help or --version (printed on
  // stdout), 64 after a usage error (printed on stderr as
  // "tool: unknown option '--bogus' (see 'tool --help')").
  int parse(const ToolSpec& spec, int argc, char** argv);

  // Whether the flag was given (switches: at least once).
  bool has(std::string_view name) const;
  // The flag's value (the last one given), else its table default, else "".
  std::string value(std::string_view name) const;
  // Every value of a kMany flag, in order.
  const std::vector<std::string>& values(std::string_view name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

  // Typed values, with house-style errors (printed, *exit_code = 64,
  // false): "--count: 'abc' is not a whole number".
  bool integer(std::string_view name, int64_t fallback, int64_t* out, int* exit_code) const;
  // value(), which must be one of the flag's choices.
  bool choice(std::string_view name, std::string* out, int* exit_code) const;

 private:
  const ToolSpec* spec_ = nullptr;
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::map<std::string, int, std::less<>> switches_;
  std::vector<std::string> positionals_;
};

// Prints "tool: MESSAGE (see 'tool --help')" on stderr; returns 64.
int usage_error(std::string_view tool, std::string_view message);

}  // namespace sluice::cli
