#!/usr/bin/env bash
# The main job on an embedded default, as `tools/dev.sh demo` runs it:
#   tools/demo.sh BUILD_DIR
# Starts Debian's sshd on 127.0.0.1 with a provider key forced to the built offstage-shell
# (tests/e2e's harness, offstage-e2e-site: the same setup the end-to-end tests use), then does
# what an offsite provider does: `backup`, a pull of a sample staging tree with the real rsync
# client, a check that it arrived byte-identical, and commands the shell refuses. sshd is
# stopped and every temp file removed at the end, also on failure or Ctrl-C.
set -euo pipefail

if [ "${1:-}" != "--steps" ]; then
    build=${1:?usage: tools/demo.sh BUILD_DIR}
    build=$(cd "$build" && pwd)
    site="$build/tests/e2e/offstage-e2e-site"
    shell="$build/forced-shell/offstage-shell"
    for program in "$site" "$shell"; do
        if [ ! -x "$program" ]; then
            echo "demo: $program is not built (run: tools/dev.sh demo)" >&2
            exit 1
        fi
    done
    exec "$site" --shell "$shell" -- "$(cd "$(dirname "$0")" && pwd)/demo.sh" --steps
fi

# From here on we run inside offstage-e2e-site, which exported OFFSTAGE_E2E_*.
host=$OFFSTAGE_E2E_HOST
ssh_cmd=$OFFSTAGE_E2E_SSH
staging=$OFFSTAGE_E2E_STAGING
day=2026-11-22
pulled="$OFFSTAGE_E2E_DIR/provider/$day"
step=0

heading() {
    step=$((step + 1))
    printf '\n== %d. %s\n' "$step" "$*"
}
# Shows a command the way the provider types it.
show() {
    printf '   $ %s\n' "$*"
}
# Runs a command, indents its output, and prints its exit status. Never stops the demo.
run_and_report() {
    local status=0
    "$@" > "$OFFSTAGE_E2E_DIR/out" 2> "$OFFSTAGE_E2E_DIR/err" || status=$?
    sed 's/^/   stdout| /' "$OFFSTAGE_E2E_DIR/out"
    sed 's/^/   stderr| /' "$OFFSTAGE_E2E_DIR/err"
    printf '   exit status: %d\n' "$status"
    return 0
}

cat <<INTRO
offstage demo: the forced shell, end to end
   sshd:     $OFFSTAGE_E2E_OPENSSH, on 127.0.0.1:$OFFSTAGE_E2E_PORT (its own host key, temp config)
   staging:  $staging
   config:   $OFFSTAGE_E2E_CONFIG
   The provider's only key is forced to offstage-shell (authorized_keys):
INTRO
cut -c 1-150 "$OFFSTAGE_E2E_AUTHORIZED_KEYS" | sed 's/^/     /; s/$/.../'

heading "The staging root as the host has it"
( cd "$staging" && find . -mindepth 1 | LC_ALL=C sort | sed 's/^\.\//   /' ) | cat -v
echo "   ($day is a published day; .incoming-* is a run in progress, never served;"
echo "    link-out points outside the staging root; M-i M-^? are two non-UTF-8 bytes of a name)"

heading "The provider asks the host to stage today's backup (a stand-in for 'offstage run')"
show "ssh $host backup"
run_and_report $ssh_cmd "$host" backup

heading "The provider pulls the published day with the stock rsync client"
show "rsync -av -e \"ssh ...\" $host:$day/ provider/$day/"
mkdir -p "$pulled"
status=0
rsync -av -e "$ssh_cmd" "$host:$day/" "$pulled/" | sed 's/^/   /' | cat -v || status=$?
[ "$status" = 0 ] || { echo "demo: the pull failed (exit status $status)" >&2; exit 1; }

heading "It arrived byte-identical"
show "cd provider/$day && sha256sum --check SHA256SUMS"
( cd "$pulled" && sha256sum --check --strict SHA256SUMS ) | sed 's/^/   /' | cat -v
show "diff -r --no-dereference staging/$day provider/$day"
if diff -r --no-dereference "$staging/$day" "$pulled" > /dev/null; then
    echo "   identical: every file, name and symlink matches"
else
    echo "demo: the pulled copy differs from the staging tree" >&2
    exit 1
fi
printf '   link-out is sent as a symlink, not followed: %s -> %s\n' \
    "link-out" "$(readlink "$pulled/link-out")"

heading "Anything else is refused, with a one-line reason and nothing on stdout"
show "ssh $host 'cat /etc/passwd'"
run_and_report $ssh_cmd "$host" 'cat /etc/passwd'
show "ssh $host 'backup; id'"
run_and_report $ssh_cmd "$host" 'backup; id'
show "rsync -e \"ssh ...\" /etc/hostname $host:$day/      (an upload)"
run_and_report rsync -e "$ssh_cmd" /etc/hostname "$host:$day/"
if [ -e "$staging/$day/hostname" ]; then
    echo "demo: the upload wrote into the staging root" >&2
    exit 1
fi
echo "   nothing was written into the staging root"
show "rsync -a -e \"ssh ...\" $host:.incoming-2026-11-23-x7Qk/ wip/      (a run in progress)"
run_and_report rsync -a -e "$ssh_cmd" "$host:.incoming-2026-11-23-x7Qk/" "$OFFSTAGE_E2E_DIR/provider/wip/"

heading "Every decision is in the shell's log (and in syslog on a real host)"
sed 's/^/   /' "$OFFSTAGE_E2E_SHELL_LOG" | cut -c 1-200

heading "Done: stopping sshd and removing the temp files"
