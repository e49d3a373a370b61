#!/usr/bin/env bash
# The main job on an embedded default, as `tools/dev.sh demo` runs it:
#   tools/demo.sh BUILD_DIR
# Starts Debian's sshd on 127.0.0.1 with a provider key forced to the built offstage-shell
# (tests/e2e's harness, offstage-e2e-site: the same setup the end-to-end tests use), whose
# `backup` runs the real built `offstage run`. Then does what an offsite provider does: `ssh
# host backup`, a pull of the published day with the real rsync client, sha256sum -c, minisign
# -V and offstage verify on the pulled copy, a restore of one file with offstage extract; shows
# the mail the run sent and the commands the shell refuses. The run scans a tiny dpkg root the
# harness builds (scanning this machine's / takes minutes). sshd is stopped and every temp file
# removed at the end, also on failure or Ctrl-C (offstage-e2e-site does that).
set -euo pipefail

if [ "${1:-}" != "--steps" ]; then
    build=${1:?usage: tools/demo.sh BUILD_DIR}
    build=$(cd "$build" && pwd)
    site="$build/tests/e2e/offstage-e2e-site"
    shell="$build/forced-shell/offstage-shell"
    offstage="$build/stager/cli/offstage"
    for program in "$site" "$shell" "$offstage"; do
        if [ ! -x "$program" ]; then
            echo "demo: $program is not built (run: tools/dev.sh demo)" >&2
            exit 1
        fi
    done
    export OFFSTAGE_DEMO_SITE="$site"
    exec "$site" --shell "$shell" --offstage "$offstage" -- \
        "$(cd "$(dirname "$0")" && pwd)/demo.sh" --steps
fi

# From here on we run inside offstage-e2e-site, which exported OFFSTAGE_E2E_*.
host=$OFFSTAGE_E2E_HOST
ssh_cmd=$OFFSTAGE_E2E_SSH
staging=$OFFSTAGE_E2E_STAGING
offstage=$OFFSTAGE_E2E_OFFSTAGE
provider="$OFFSTAGE_E2E_DIR/provider"
step=0

heading() {
    step=$((step + 1))
    printf '\n== %d. %s\n' "$step" "$*"
}
# Shows a command the way the provider (or the admin) types it.
show() {
    printf '   $ %s\n' "$*"
}
fail() {
    echo "demo: FAILED: $*" >&2
    exit 1
}
# Runs a command, indents its output (non-UTF-8 bytes made visible), and prints its exit
# status; sets $status. Never stops the demo by itself.
run_and_report() {
    status=0
    "$@" > "$OFFSTAGE_E2E_DIR/out" 2> "$OFFSTAGE_E2E_DIR/err" || status=$?
    sed 's/^/   stdout| /' "$OFFSTAGE_E2E_DIR/out" | cat -v
    sed 's/^/   stderr| /' "$OFFSTAGE_E2E_DIR/err" | cat -v
    printf '   exit status: %d\n' "$status"
}
# run_and_report, then stops the demo unless the command exited 0.
must() {
    run_and_report "$@"
    [ "$status" = 0 ] || fail "$1 exited with status $status"
}

mkdir -p "$provider"
cd "$provider"

cat <<INTRO
offstage demo: the provider's whole flow, end to end, all real
   sshd:     $OFFSTAGE_E2E_OPENSSH, on 127.0.0.1:$OFFSTAGE_E2E_PORT (its own host key, temp config)
   backup:   the built offstage run ($offstage)
   scans:    a tiny dpkg root the demo built with dpkg-deb and dpkg ($OFFSTAGE_E2E_SCAN_ROOT),
             NOT this machine's / (scanning / takes about two minutes here; on a host it is /)
   staging:  $staging (empty: nothing is staged yet)
   The provider's only key is forced to offstage-shell (authorized_keys):
INTRO
cut -c 1-150 "$OFFSTAGE_E2E_AUTHORIZED_KEYS" | sed 's/^/     /; s/$/.../'

heading "The host's configuration (on a host, both live in /etc/offstage/offstage.toml)"
echo "   The shell's, $OFFSTAGE_E2E_CONFIG:"
sed 's/^/     /' "$OFFSTAGE_E2E_CONFIG"
echo "   The run's, $OFFSTAGE_E2E_RUN_CONFIG:"
sed 's/^/     /' "$OFFSTAGE_E2E_RUN_CONFIG"
echo "   (The sendmail above is a script that keeps the message in a file, so the demo can"
echo "    show it; on a host it is the MTA's /usr/sbin/sendmail.)"

heading "The provider asks the host to stage today's backup: the real offstage run, as root"
show "ssh $host backup"
must $ssh_cmd "$host" backup
day=$(cd "$staging" && ls -1 | tail -n 1)
[ -n "$day" ] || fail "backup published no day in $staging"

heading "What the run published on the host: one signed, dated tree (work dirs live outside it)"
show "ls -l $staging/$day"
ls -l "$staging/$day" | sed 's/^/   /'

heading "The provider pulls the published day with the stock rsync client"
show "rsync -av -e \"ssh ...\" $host:$day/ $day/"
status=0
rsync -av -e "$ssh_cmd" "$host:$day/" "$day/" | sed 's/^/   /' | cat -v || status=$?
[ "$status" = 0 ] || fail "the pull failed (exit status $status)"

heading "It checks every file against SHA256SUMS"
show "(cd $day && sha256sum --check --strict SHA256SUMS)"
must sh -c "cd '$day' && sha256sum --check --strict SHA256SUMS"

heading "It checks the signature with the public key it keeps off the host"
echo "   (The admin gave it once; it prints it on the host with:)"
show "offstage key signing > offstage-signing.pub"
"$offstage" key signing --key "$OFFSTAGE_E2E_SIGNING_KEY" > offstage-signing.pub
sed 's/^/   /' offstage-signing.pub
show "minisign -V -p offstage-signing.pub -m $day/SHA256SUMS"
must minisign -V -p offstage-signing.pub -m "$day/SHA256SUMS"

heading "offstage's own check: signature, checksums, and every artifact decrypted to the end"
echo "   (With the admins' age identity, made by 'offstage key generate' when the demo set up;"
echo "    on a real site it never stays on the host: the host knows only its public recipient.)"
cp "$OFFSTAGE_E2E_IDENTITY" identity.txt
echo "   (./DAY: a directory; a bare DAY names a day of the configured staging root)"
show "offstage verify -P offstage-signing.pub -i identity.txt ./$day"
must "$offstage" verify -P offstage-signing.pub -i identity.txt "./$day"

heading "A restore: the files archive of the pulled copy, extracted, and one file compared"
show "offstage extract -i identity.txt --to restored $day/files.tar.zst.age"
mkdir -p restored
must "$offstage" extract -i identity.txt --to restored "$day/files.tar.zst.age"
show "find restored -type f"
(cd restored && find . -type f | LC_ALL=C sort | sed 's/^\.\//   restored\//') | cat -v
file=etc/tiny/local-admin.conf
show "cmp restored/$file HOST:/$file"
must cmp "restored/$file" "$OFFSTAGE_E2E_SCAN_ROOT/$file"
echo "   identical: the restored file matches the host's, byte for byte"

heading "The mail the admins got from the run (as sendmail -t -oi received it; body decoded)"
[ -f "$OFFSTAGE_E2E_MAIL" ] || fail "the run sent no mail"
"$OFFSTAGE_DEMO_SITE" --show-mail "$OFFSTAGE_E2E_MAIL" | sed 's/^/   | /' | cat -v

heading "The admins' side: status, the page, the metrics, and the annoying files loop"
run_config=$OFFSTAGE_E2E_RUN_CONFIG
show "offstage status"
must "$offstage" --config "$run_config" status
show "offstage status --html www --metrics offstage.prom"
must "$offstage" --config "$run_config" status --html "$provider/www" --metrics "$provider/offstage.prom"
ls -l "$provider/www/index.html" "$provider/offstage.prom" | sed 's/^/   /'
echo "   (the page: static HTML, inline SVG plots, no script, its own strict CSP; some of the metrics:)"
grep -E '^offstage_(last_success_timestamp_seconds|last_pull_timestamp_seconds|annoying_files) ' \
    "$provider/offstage.prom" | sed 's/^/   /'
show "offstage policy suggest --min 1"
must "$offstage" --config "$run_config" policy suggest --min 1
show "offstage policy accept /var/lib/tiny/ --as exclude --why 'rebuilt by tiny' --dry-run"
must "$offstage" --config "$run_config" policy accept /var/lib/tiny/ --as exclude --why 'rebuilt by tiny' --dry-run

heading "Anything else is refused, with a one-line reason and nothing on stdout"
show "ssh $host 'cat /etc/passwd'"
run_and_report $ssh_cmd "$host" 'cat /etc/passwd'
show "ssh $host 'backup; id'"
run_and_report $ssh_cmd "$host" 'backup; id'
show "rsync -e \"ssh ...\" /etc/hostname $host:$day/      (an upload)"
run_and_report rsync -e "$ssh_cmd" /etc/hostname "$host:$day/"
[ ! -e "$staging/$day/hostname" ] || fail "the upload wrote into the staging root"
echo "   nothing was written into the staging root"
show "rsync -a -e \"ssh ...\" $host:../staging.work/ wip/      (the run's work root, beside the served root)"
run_and_report rsync -a -e "$ssh_cmd" "$host:../staging.work/" wip/

heading "Every decision is in the shell's log (and in syslog on a real host)"
sed 's/^/   /' "$OFFSTAGE_E2E_SHELL_LOG" | cut -c 1-200

heading "Done: stopping sshd and removing the temp files"
