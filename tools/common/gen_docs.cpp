// gen-docs: writes what the flag tables generate into the source tree: the
// OPTIONS section of each man page, the bash, zsh and fish completions, and
// the tool list of the `sluice` front command (scripts/sluice.in).
//
//   gen-docs ROOT           rewrite the files under ROOT
//   gen-docs --check ROOT   exit 1, naming each file that is stale
//   gen-docs --short-flags  print the short flags taken: "-x --long" lines
//
// scripts/gen-docs builds and runs it; tests/cli/t0004-generated.sh runs
// --check. Not installed.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "cdc-mysql/flags.h"
#include "cdc-pg/flags.h"
#include "common/flags.h"
#include "common/shared_flags.h"
#include "flux/flags.h"
#include "relay-ws/flags.h"
#include "streams/flags.h"
#include "tap/flags.h"
#include "top/flags.h"
#include "trigger/flags.h"

using sluice::cli::Arity;
using sluice::cli::Flag;
using sluice::cli::Hint;
using sluice::cli::Positional;
using sluice::cli::ToolSpec;

namespace {

const ToolSpec* const kTools[] = {&sluice::tools::flux::kSpec,    &sluice::tools::tap::kSpec,
                                  &sluice::tools::cdc_pg::kSpec,  &sluice::tools::cdc_mysql::kSpec,
                                  &sluice::tools::streams::kSpec, &sluice::tools::top::kSpec,
                                  &sluice::tools::trigger::kSpec, &sluice::tools::relay_ws::kSpec};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Words of a space-separated list.
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string ident(std::string_view tool) {
  std::string s(tool);
  for (char& c : s) {
    if (c == '-') c = '_';
  }
  return s;
}

// ---------------------------------------------------------------- man

std::string roff_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
  }
  return out;
}

std::string man_options(const ToolSpec& spec) {
  std::string out = ".SH OPTIONS\n";
  for (const Flag& f : spec.flags) {
    out += ".TP\n";
    if (f.short_name != 0) out += "\\fB\\-" + std::string(1, f.short_name) + "\\fR, ";
    out += "\\fB\\-\\-" + roff_escape(f.name) + "\\fR";
    if (!f.value_name.empty()) out += " \\fI" + roff_escape(f.value_name) + "\\fR";
    out += "\n";
    out += f.doc.empty() ? roff_escape(f.help) : std::string(f.doc);
    if (out.back() != '\n') out += "\n";
  }
  return out;
}

// The page with its OPTIONS section (up to the next .SH) replaced.
std::string with_options(const std::string& page, const ToolSpec& spec) {
  size_t begin = page.find("\n.SH OPTIONS\n");
  if (begin == std::string::npos) return page;
  ++begin;
  size_t end = page.find("\n.SH ", begin + 1);
  end = end == std::string::npos ? page.size() : end + 1;
  return page.substr(0, begin) + man_options(spec) + page.substr(end);
}

// ---------------------------------------------------------------- bash

std::string bash(const std::vector<const ToolSpec*>& tools) {
  std::string out =
      "# bash completion for sluice: `sluice TOOL ...`, `sluice-TOOL ...` and the\n"
      "# tools by their own names. Generated from the flag tables by gen-docs\n"
      "# (scripts/gen-docs); do not edit.\n"
      "# shellcheck shell=bash disable=SC2207\n\n";
  out += "_sluice_tools=\"";
  for (const ToolSpec* t : tools)
    out += std::string(t == tools.front() ? "" : " ") + std::string(t->name);
  out += "\"\n";
  for (const ToolSpec* t : tools) {
    out += "\n_sluice_opts_" + ident(t->name) + "=\"";
    size_t col = 14 + t->name.size();
    bool first = true;
    for (const Flag& f : t->flags) {
      std::vector<std::string> forms;
      if (f.short_name != 0) forms.push_back(std::string("-") + f.short_name);
      forms.push_back("--" + std::string(f.name));
      for (const std::string& w : forms) {
        if (!first && col + 1 + w.size() > 78) {
          out += "\n  ";
          col = 2;
        } else if (!first) {
          out += " ";
          ++col;
        }
        out += w;
        col += w.size();
        first = false;
      }
    }
    out += "\"\n";
  }
  out +=
      "\n# _sluice_values TOOL PREV CUR: completes the value of option PREV; returns\n"
      "# 1 when PREV takes no value.\n"
      "_sluice_values() {\n"
      "  local tool=$1 prev=$2 cur=$3\n"
      "  case $tool:$prev in\n";
  for (const ToolSpec* t : tools) {
    for (const Flag& f : t->flags) {
      if (f.arity == Arity::kSwitch) continue;
      std::string pat = std::string(t->name) + ":--" + std::string(f.name);
      if (f.short_name != 0) pat = std::string(t->name) + ":-" + f.short_name + " | " + pat;
      out += "    " + pat + ")\n      ";
      if (f.hint == Hint::kFile) {
        out += "COMPREPLY=($(compgen -f -- \"$cur\"))\n      compopt -o filenames 2>/dev/null ;;\n";
      } else if (f.hint == Hint::kStream) {
        out +=
            "COMPREPLY=($(compgen -f -- \"$cur\"))\n      [ -z \"$cur\" ] && COMPREPLY+=(- file:)\n"
            "      compopt -o filenames 2>/dev/null ;;\n";
      } else if (!f.choices.empty()) {
        std::string ws;
        for (const std::string& w : words(f.choices)) ws += (ws.empty() ? "" : " ") + w;
        out += "COMPREPLY=($(compgen -W \"" + ws + "\" -- \"$cur\")) ;;\n";
      } else {
        out += "COMPREPLY=() ;;\n";
      }
    }
  }
  out +=
      "    *) return 1 ;;\n"
      "  esac\n"
      "  return 0\n"
      "}\n\n"
      "# Completes one tool's arguments; the words are COMP_WORDS[start..].\n"
      "_sluice_tool() {\n"
      "  local tool=$1 cur=$2 prev=$3 opts\n"
      "  case $tool in\n";
  for (const ToolSpec* t : tools) {
    out += "    " + std::string(t->name) + ") opts=$_sluice_opts_" + ident(t->name) + " ;;\n";
  }
  out +=
      "    *) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
      "  esac\n"
      "  _sluice_values \"$tool\" \"$prev\" \"$cur\" && return\n"
      "  case $cur in\n"
      "    -?*)\n"
      "      COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")) ;;\n"
      "    *)\n"
      "      # STREAM, PIPE: files and directories; file: URIs (after the ':'\n"
      "      # that bash splits words at, cur is the path part).\n"
      "      COMPREPLY=($(compgen -f -- \"$cur\"))\n"
      "      [ -z \"$cur\" ] && COMPREPLY+=(- file:)\n"
      "      compopt -o filenames 2>/dev/null ;;\n"
      "  esac\n"
      "}\n\n"
      "_sluice() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd=${COMP_WORDS[0]##*/} tool\n"
      "  [ \"$COMP_CWORD\" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
      "  COMPREPLY=()\n"
      "  case $cmd in\n"
      "    sluice)\n"
      "      if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
      "        COMPREPLY=($(compgen -W \"$_sluice_tools help -h --help -V --version\" -- "
      "\"$cur\"))\n"
      "        return\n"
      "      fi\n"
      "      tool=${COMP_WORDS[1]}\n"
      "      if [ \"$tool\" = help ]; then\n"
      "        COMPREPLY=($(compgen -W \"$_sluice_tools\" -- \"$cur\"))\n"
      "        return\n"
      "      fi ;;\n"
      "    sluice-*) tool=${cmd#sluice-} ;;\n"
      "    *) tool=$cmd ;;\n"
      "  esac\n"
      "  _sluice_tool \"$tool\" \"$cur\" \"$prev\"\n"
      "}\n\n"
      "complete -F _sluice sluice";
  for (const ToolSpec* t : tools)
    out += " sluice-" + std::string(t->name) + " " + std::string(t->name);
  out += "\n";
  return out;
}

// ---------------------------------------------------------------- zsh

// Text inside a zsh _arguments spec, itself inside single quotes.
std::string zsh_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else if (c == '[' || c == ']' || c == ':' || c == '\\')
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out;
}

std::string zsh_action(Hint hint, std::string_view choices) {
  switch (hint) {
    case Hint::kFile:
      return "_files";
    case Hint::kStream:
      return "_sluice_stream";
    case Hint::kChoices:
    case Hint::kSuggest: {
      std::string a = "(";
      for (const std::string& w : words(choices)) a += (a.size() > 1 ? " " : "") + zsh_escape(w);
      return a + ")";
    }
    case Hint::kNone:
      break;
  }
  return "";
}

std::string zsh(const std::vector<const ToolSpec*>& tools) {
  std::string names = "sluice";
  for (const ToolSpec* t : tools)
    names += " sluice-" + std::string(t->name) + " " + std::string(t->name);
  std::string out = "#compdef " + names +
                    "\n# zsh completion for sluice: `sluice TOOL ...`, `sluice-TOOL ...` and the\n"
                    "# tools by their own names. Generated from the flag tables by gen-docs\n"
                    "# (scripts/gen-docs); do not edit.\n\n"
                    "_sluice_stream() {\n"
                    "  _alternative \\\n"
                    "    'uris:stream URI:(file: -)' \\\n"
                    "    'files:stream directory:_files -/'\n"
                    "}\n";
  for (const ToolSpec* t : tools) {
    out += "\n_sluice_" + ident(t->name) + "() {\n  _arguments -s -S";
    for (const Flag& f : t->flags) {
      std::string lf = "--" + std::string(f.name);
      std::string sf = f.short_name != 0 ? std::string("-") + f.short_name : "";
      bool val = f.arity != Arity::kSwitch;
      std::string excl = f.name == "help" || f.name == "version" ? "'(- *)'"
                         : f.arity == Arity::kMany
                             ? "'*'"
                             : "'(" + (sf.empty() ? "" : sf + " ") + lf + ")'";
      std::string forms;
      if (sf.empty()) {
        forms = lf + (val ? "=" : "");
        excl = f.arity == Arity::kMany ? "'*" : "'";
        out += " \\\n    " + excl + forms;
      } else {
        out +=
            " \\\n    " + excl + "{" + sf + (val ? "+" : "") + "," + lf + (val ? "=" : "") + "}'";
      }
      out += "[" + zsh_escape(f.help) + "]";
      if (val) {
        out += ":" + zsh_escape(f.value_name) + ":" + zsh_action(f.hint, f.choices);
      }
      out += "'";
    }
    int n = 0;
    for (const Positional& p : t->positionals) {
      ++n;
      out += " \\\n    '" + std::to_string(n) + (p.optional ? "::" : ":") + zsh_escape(p.help) +
             ":" + zsh_action(p.hint, "") + "'";
    }
    out += "\n}\n";
  }
  out +=
      "\n_sluice() {\n"
      "  local tool\n"
      "  case $service in\n"
      "    sluice)\n"
      "      if (( CURRENT == 2 )); then\n"
      "        local -a tools\n"
      "        tools=(\n";
  for (const ToolSpec* t : tools) {
    out += "          '" + std::string(t->name) + ":" + zsh_escape(t->summary) + "'\n";
  }
  out +=
      "          'help:show the tool list, or a tool'\\''s manual'\n"
      "        )\n"
      "        _describe -t tools 'sluice tool' tools\n"
      "        _arguments '(- *)'{-h,--help}'[show help]' '(- *)'{-V,--version}'[show version]'\n"
      "        return\n"
      "      fi\n"
      "      tool=$words[2]\n"
      "      shift words\n"
      "      (( CURRENT-- ))\n"
      "      ;;\n"
      "    sluice-*) tool=${service#sluice-} ;;\n"
      "    *) tool=$service ;;\n"
      "  esac\n"
      "  case $tool in\n";
  for (const ToolSpec* t : tools) {
    out += "    " + std::string(t->name) + ") _sluice_" + ident(t->name) + " ;;\n";
  }
  out +=
      "    help) _describe -t tools 'sluice tool' tools ;;\n"
      "    *) _files ;;\n"
      "  esac\n"
      "}\n\n"
      "_sluice \"$@\"\n";
  return out;
}

// ---------------------------------------------------------------- fish

std::string fish_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string fish(const std::vector<const ToolSpec*>& tools) {
  std::string out =
      "# fish completion for sluice: `sluice TOOL ...`, `sluice-TOOL ...` and the\n"
      "# tools by their own names. Generated from the flag tables by gen-docs\n"
      "# (scripts/gen-docs); do not edit.\n\n"
      "# The tool being completed: `sluice TOOL`, `sluice-TOOL` or `TOOL`.\n"
      "function __sluice_tool\n"
      "    set -l words (commandline -opc)\n"
      "    set -l cmd (string replace -r '.*/' '' -- $words[1])\n"
      "    switch $cmd\n"
      "        case sluice\n"
      "            if test (count $words) -ge 2\n"
      "                echo $words[2]\n"
      "            end\n"
      "        case 'sluice-*'\n"
      "            string replace sluice- '' -- $cmd\n"
      "        case '*'\n"
      "            echo $cmd\n"
      "    end\n"
      "end\n\n"
      "function __sluice_is\n"
      "    set -l tool (__sluice_tool)\n"
      "    test \"$tool\" = \"$argv[1]\"\n"
      "end\n\n";
  const std::string first = "complete -c sluice -f -n 'test (count (commandline -opc)) -eq 1'";
  for (const ToolSpec* t : tools) {
    out += first + " -a " + std::string(t->name) + " -d " + fish_quote(t->summary) + "\n";
  }
  out += first + " -a help -d " + fish_quote("show the tool list, or a tool's manual") + "\n";
  out += first + " -s h -l help -d 'show help'\n";
  out += first + " -s V -l version -d 'show version'\n";
  for (const ToolSpec* t : tools) {
    std::string name(t->name);
    out += "\n# " + name + "\nfor c in sluice sluice-" + name + " " + name + "\n";
    out += "    set -l n '__sluice_is " + name + "'\n";
    for (const Flag& f : t->flags) {
      out += "    complete -c $c -n $n";
      if (f.short_name != 0) out += std::string(" -s ") + f.short_name;
      out += " -l " + std::string(f.name);
      if (f.arity != Arity::kSwitch) {
        if (f.hint == Hint::kFile || f.hint == Hint::kStream) {
          out += " -r -F";
        } else {
          out += " -x";
          if (!f.choices.empty()) out += " -a " + fish_quote(f.choices);
        }
      }
      out += " -d " + fish_quote(f.help) + "\n";
    }
    out += "    complete -c $c -n $n -F -a '- file:' -d " + fish_quote(t->usage()) + "\n";
    out += "end\n";
  }
  return out;
}

// ---------------------------------------------------------------- sluice

std::string sh_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// scripts/sluice.in with its tool list (between the BEGIN and END lines)
// made from the tables.
std::string with_tool_list(const std::string& script, const std::vector<const ToolSpec*>& tools) {
  const std::string begin = "# BEGIN generated by gen-docs";
  const std::string end = "# END generated by gen-docs";
  size_t b = script.find(begin);
  size_t e = script.find(end);
  if (b == std::string::npos || e == std::string::npos || e < b) return script;
  b = script.find('\n', b) + 1;
  std::string block = "tools=\"";
  for (const ToolSpec* t : tools)
    block += std::string(t == tools.front() ? "" : " ") + std::string(t->name);
  block += "\"\nsummary() {\n  case $1 in\n";
  for (const ToolSpec* t : tools) {
    block += "    " + std::string(t->name) + ") echo " + sh_quote(t->summary) + " ;;\n";
  }
  block += "  esac\n}\n";
  return script.substr(0, b) + block + script.substr(e);
}

struct Output {
  std::string path;
  std::string text;
};

std::vector<Output> generate(const std::string& root) {
  std::vector<const ToolSpec*> tools(std::begin(kTools), std::end(kTools));
  std::vector<Output> out;
  for (const ToolSpec* t : tools) {
    std::string path = root + "/man/sluice-" + std::string(t->name) + ".1";
    out.push_back({path, with_options(read_file(path), *t)});
  }
  out.push_back({root + "/completions/sluice.bash", bash(tools)});
  out.push_back({root + "/completions/_sluice", zsh(tools)});
  out.push_back({root + "/completions/sluice.fish", fish(tools)});
  std::string front = root + "/scripts/sluice.in";
  out.push_back({front, with_tool_list(read_file(front), tools)});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "--short-flags") {
    for (const auto& s : sluice::cli::shared::kShortFlags) {
      std::printf("-%c --%.*s\n", s.short_name, static_cast<int>(s.long_name.size()),
                  s.long_name.data());
    }
    return 0;
  }
  bool check = !args.empty() && args[0] == "--check";
  if (check) args.erase(args.begin());
  if (args.size() != 1) {
    std::fprintf(stderr, "usage: gen-docs [--check] ROOT | gen-docs --short-flags\n");
    return 64;
  }
  int stale = 0;
  for (const Output& o : generate(args[0])) {
    if (read_file(o.path) == o.text) continue;
    if (check) {
      std::fprintf(stderr, "gen-docs: '%s' is stale: run scripts/gen-docs\n", o.path.c_str());
      ++stale;
      continue;
    }
    std::ofstream f(o.path, std::ios::binary | std::ios::trunc);
    f << o.text;
    if (!f) {
      std::fprintf(stderr, "gen-docs: cannot write '%s'\n", o.path.c_str());
      return 73;
    }
    std::printf("gen-docs: wrote %s\n", o.path.c_str());
  }
  return stale > 0 ? 1 : 0;
}
