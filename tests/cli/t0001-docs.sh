#!/usr/bin/env bash
# The docs agree with the binaries: every long flag of `TOOL --help` is in
# man/sluice-TOOL.1 and in each completion file, every flag of the man page's
# OPTIONS is in --help, and --version prints the version of CMakeLists.txt.
# Loops over the tools of scripts/sluice.in that are built.
# shellcheck disable=SC2016,SC2034,SC2317 # test bodies are single-quoted on purpose
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

MAN=$SLUICE_ROOT/man
COMP=$SLUICE_ROOT/completions
version=$(sed -n 's/^project(sluice VERSION \([0-9][0-9.]*\).*/\1/p' \
  "$SLUICE_ROOT/CMakeLists.txt")
all_tools=$(sed -n 's/^tools="\(.*\)"$/\1/p' "$SLUICE_ROOT/scripts/sluice.in")

tools=
for t in $all_tools; do
  [ -x "$SLUICE_BIN/$t" ] && tools="$tools $t"
done
[ -n "$tools" ] || test_skip_all_ "no sluice tool built in $SLUICE_BIN"

# help_flags TOOL: the long flags --help mentions, one a line, sorted.
help_flags() {
  "$SLUICE_BIN/$1" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# man_option_flags PAGE: the long flags in the OPTIONS section of PAGE.
man_option_flags() {
  sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$1" |
    sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\(em//g' |
    grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# man_flags PAGE: every long flag anywhere in PAGE.
man_flags() {
  sed 's/\\-/-/g; s/\\f[BIRP]//g' "$1" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# bash_opts TOOL: the flags the bash completion offers for TOOL (the list
# $_sluice_opts_TOOL of completions/sluice.bash), one a line.
bash_opts() {
  bash -c 'complete() { :; }; . "$1"; v=_sluice_opts_${2//-/_}; printf "%s\n" ${!v}' \
    _ "$COMP/sluice.bash" "$1"
}

test_expect_success "version $version is known" '
  test -n "$version"
'

for tool in $tools; do
  page=$MAN/sluice-$tool.1

  test_expect_success "$tool: --help exits 0 and prints usage on stdout" '
    "$SLUICE_BIN/$tool" --help >help.out 2>help.err &&
    test_grep -q "$tool" help.out &&
    test_line_count -gt 3 help.out
  '

  test_expect_success "$tool: -h is --help" '
    "$SLUICE_BIN/$tool" --help >long.out &&
    "$SLUICE_BIN/$tool" -h >short.out &&
    test_cmp long.out short.out
  '

  test_expect_success "$tool: --version and -V print $version" '
    "$SLUICE_BIN/$tool" --version >v.out &&
    test_grep -qF "$version" v.out &&
    "$SLUICE_BIN/$tool" -V >v2.out &&
    test_cmp v.out v2.out
  '

  test_expect_success "$tool: an unknown flag exits 64 with a message on stderr" '
    test_expect_code 64 "$SLUICE_BIN/$tool" --no-such-flag-xyz >out 2>err &&
    test_line_count = 0 out &&
    test_grep -q . err
  '

  test_expect_success "$tool: man page sluice-$tool.1 exists, names $tool, has the version" '
    test_path_is_file "$page" &&
    test_grep -q "^\.TH SLUICE-$(echo "$tool" | tr a-z A-Z) 1 " "$page" &&
    test_grep -qF "sluice $version" "$page" &&
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
      test_grep -q "^\.SH \"\{0,1\}$s" "$page" || return 1
    done
  '

  test_expect_success "$tool: every --help flag is in the man page" '
    help_flags "$tool" >help.flags &&
    man_flags "$page" >man.flags &&
    comm -23 help.flags man.flags >missing &&
    test_cmp /dev/null missing
  '

  test_expect_success "$tool: every flag of the man page OPTIONS is in --help" '
    help_flags "$tool" >help.flags &&
    man_option_flags "$page" >man.flags &&
    test_line_count -gt 0 man.flags &&
    comm -13 help.flags man.flags >extra &&
    test_cmp /dev/null extra
  '

  for comp in sluice.bash _sluice sluice.fish; do
    test_expect_success "$tool: every --help flag is in completions/$comp" '
      help_flags "$tool" >help.flags &&
      : >missing &&
      while read -r flag; do
        case $comp in
          *.fish) grep -qE -- "-l ${flag#--}( |$)" "$COMP/$comp" ;;
          *.bash) bash_opts "$tool" | grep -qxF -- "$flag" ;;
          *) grep -qE -- "${flag}([^a-z0-9-]|$)" "$COMP/$comp" ;;
        esac || echo "$flag" >>missing
      done <help.flags &&
      test_cmp /dev/null missing
    '
  done

  test_expect_success "$tool: sluice.7 and the completions name $tool" '
    sed "s/\\\\-/-/g" "$MAN/sluice.7" >sluice7.txt &&
    test_grep -qF "sluice-$tool" sluice7.txt &&
    test_grep -qw "$tool" "$COMP/sluice.bash" &&
    test_grep -qw "$tool" "$COMP/_sluice" &&
    test_grep -qw "$tool" "$COMP/sluice.fish"
  '
done

test_expect_success 'sluice.7 exists and has the overview sections' '
  test_path_is_file "$MAN/sluice.7" &&
  test_grep -qF "sluice $version" "$MAN/sluice.7" &&
  for s in NAME DESCRIPTION TOOLS URIS ENVELOPE DELIVERY "EXIT STATUS" "SEE ALSO"; do
    test_grep -q "^\.SH \"\{0,1\}$s" "$MAN/sluice.7" || return 1
  done
'

# sluice(7) once promised a stream listing ("no stream in the URI") that no
# tool did (issue 9, point 13): until `streams` is built, no page says so.
if [ ! -x "$SLUICE_BIN/streams" ]; then
  test_expect_success 'no man page promises a stream listing before streams exists' '
    sed "s/\\-/-/g" "$MAN"/*.1 "$MAN"/*.7 |
      grep -inE "listing streams|stream listing|no stream in the uri|lists the streams" >promises;
    test_cmp /dev/null promises
  '
fi

if [ -x "$SLUICE_BIN/sluice" ]; then
  test_expect_success 'the sluice front command prints the version' '
    "$SLUICE_BIN/sluice" --version >v.out &&
    test_grep -qF "$version" v.out
  '
fi

if command -v groff >/dev/null 2>&1; then
  test_expect_success 'man pages render without groff warnings' '
    for page in "$MAN"/*.1 "$MAN"/*.7; do
      LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>err &&
      test_cmp /dev/null err || return 1
    done
  '
else
  test_skip 'man pages render without groff warnings' 'groff is not installed'
fi

test_expect_success 'bash completion parses and completes tools and flags' '
  bash -n "$COMP/sluice.bash" &&
  bash -c '\''
    complete() { :; }   # bash-completion need not be installed
    . "$1"
    COMP_WORDS=(sluice "") COMP_CWORD=1
    _sluice; printf "%s\n" "${COMPREPLY[@]}" >tools.out
    COMP_WORDS=(sluice tap --f) COMP_CWORD=2
    _sluice; printf "%s\n" "${COMPREPLY[@]}" >flags.out
    COMP_WORDS=(tap x --format "") COMP_CWORD=3
    _sluice; printf "%s\n" "${COMPREPLY[@]}" >values.out
  '\'' _ "$COMP/sluice.bash" &&
  test_grep -qx flux tools.out &&
  test_grep -qx tap tools.out &&
  test_grep -qx -- --from flags.out &&
  test_grep -qx -- --format flags.out &&
  test_grep -qx envelope values.out
'

if command -v zsh >/dev/null 2>&1; then
  test_expect_success 'zsh completion parses (zsh -n)' '
    zsh -n "$COMP/_sluice"
  '
else
  test_skip 'zsh completion parses' 'zsh is not installed (scripts/setup installs it)'
fi

if command -v fish >/dev/null 2>&1; then
  test_expect_success 'fish completion parses and completes tools and flags' '
    fish -n "$COMP/sluice.fish" &&
    fish -c "source $COMP/sluice.fish
      complete -C \"sluice \"
      complete -C \"sluice tap --fr\"
      complete -C \"flux --fsync \"" >fish.out 2>fish.err &&
    test_cmp /dev/null fish.err &&
    test_grep -q "^tap" fish.out &&
    test_grep -q "^--from" fish.out &&
    test_grep -q "^interval" fish.out
  '
else
  test_skip 'fish completion parses' 'fish is not installed (scripts/setup installs it)'
fi

test_done
