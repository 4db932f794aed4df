// Shared plumbing for the tools' main(): CLI11 set-up with our usage line,
// parse errors mapped to exit 64, and Status -> "tool: message" + exit code.
// Header-only; tools stay thin and all behaviour lives in libsluice.
#pragma once

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "sluice/status.h"
#include "sluice/units.h"

namespace sluice::cli {

class UsageFormatter : public CLI::Formatter {
 public:
  explicit UsageFormatter(std::string usage) : usage_(std::move(usage)) {}
  std::string make_usage(const CLI::App*, std::string) const override {
    return "Usage: " + usage_ + "\n";
  }
  const std::string& usage() const { return usage_; }
  // A positional with an option_text shows as that text ("STREAM
  // [PIPE|-]"), not as its internal name, type and "REQUIRED".
  std::string make_option_name(const CLI::Option* opt, bool positional) const override {
    if (positional && !opt->get_option_text().empty()) return opt->get_option_text();
    return CLI::Formatter::make_option_name(opt, positional);
  }
  std::string make_option_opts(const CLI::Option* opt) const override {
    if (opt->get_positional() && !opt->get_option_text().empty()) return "";
    return CLI::Formatter::make_option_opts(opt);
  }

 private:
  std::string usage_;
};

// CLI11's message for a parse error, in our words: the positional
// arguments are one option internally ("STREAM_PIPE"), which is no name
// to show a user; say what is missing or extra and show the usage line.
inline std::string parse_error_message(const CLI::App& app, const CLI::ParseError& e) {
  std::string msg = e.what();
  for (const CLI::Option* opt : app.get_options()) {
    if (!opt->get_positional() || msg.rfind(opt->get_name(), 0) != 0) continue;
    auto* f = dynamic_cast<const UsageFormatter*>(app.get_formatter().get());
    std::string usage = f != nullptr ? "; usage: " + f->usage() : "";
    if (e.get_name() == "RequiredError") return "missing arguments" + usage;
    if (e.get_name() == "ArgumentMismatch") return "too many arguments" + usage;
    return "bad arguments" + usage;
  }
  // Lowercase a leading capital ("The following...") but not an acronym.
  if (msg.size() > 1 && isupper(static_cast<unsigned char>(msg[0])) &&
      islower(static_cast<unsigned char>(msg[1]))) {
    msg[0] = static_cast<char>(tolower(static_cast<unsigned char>(msg[0])));
  }
  return msg;
}

inline void setup(CLI::App& app, const std::string& usage) {
  app.formatter(std::make_shared<UsageFormatter>(usage));
  app.get_formatter()->column_width(30);
  app.set_version_flag("-V,--version",
                       app.get_name() + " (sluice) " SLUICE_VERSION);
  app.footer("See " + std::string("sluice-") + app.get_name() +
             "(1) and sluice(7). Exit status follows sysexits(3).");
}

// Returns -1 when the command line parsed and the tool should run, else the
// exit code to return (0 after --help/--version, 64 on a usage error).
inline int parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = parse_error_message(app, e);
    fprintf(stderr, "%s: %s (see '%s --help')\n", app.get_name().c_str(),
            msg.c_str(), app.get_name().c_str());
    return static_cast<int>(ExitCode::kUsage);
  }
  return -1;
}

inline int fail(const Status& st) {
  fprintf(stderr, "%s: %s\n", program_name().c_str(), st.message().c_str());
  return static_cast<int>(st.exit_code());
}

inline int usage_error(const std::string& message) {
  fprintf(stderr, "%s: %s (see '%s --help')\n", program_name().c_str(),
          message.c_str(), program_name().c_str());
  return static_cast<int>(ExitCode::kUsage);
}

// Parses an octal permission string such as 0600.
inline bool parse_mode(const std::string& text, unsigned* mode) {
  if (text.empty() || text.size() > 4) return false;
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return false;
    v = v * 8 + static_cast<unsigned>(c - '0');
  }
  *mode = v;
  return true;
}

}  // namespace sluice::cli
