#!/bin/bash
# Regenerates rsync-client-corpus.txt: the exact remote command lines that the real rsync
# client sends for common pulls. It runs the installed rsync with a fake remote shell that
# records what ssh would send (its arguments after the host, joined by single spaces, which
# is how ssh builds the command string sshd hands to the forced command) and exits.
# Usage: tests/forced-shell/capture-corpus.sh [> tests/forced-shell/rsync-client-corpus.txt]
set -euo pipefail

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
record="$work/record"
cat >"$work/fake-rsh" <<'RSH'
#!/bin/bash
# Called by rsync as: fake-rsh [-l user] host rsync --server ...; prints the remote command.
[ "$1" = "-l" ] && shift 2
shift
(IFS=' '; printf '%s\n' "$*") >>"$RECORD"
exit 1
RSH
chmod +x "$work/fake-rsh"
printf 'one\ntwo\n' >"$work/list"

# capture NAME RSYNC-ARGS...: one case; the client fails after the fake shell exits, which
# is expected (no server answers).
capture() {
    local name=$1
    shift
    : >"$record"
    RECORD="$record" rsync -e "$work/fake-rsh" "$@" >/dev/null 2>&1 || true
    local line
    line=$(cat "$record")
    if [ -z "$line" ]; then
        echo "capture-corpus: rsync sent nothing for case $name" >&2
        exit 1
    fi
    printf '# %s: rsync %s\n%s\n' "$name" "$*" "$line"
}

echo "# Remote command lines sent by the real rsync client for common pulls."
echo "# Captured with: $(rsync --version | head -n1 | tr -s ' ')"
echo "# on $(. /etc/os-release && echo "$PRETTY_NAME"), by tests/forced-shell/capture-corpus.sh."
echo "# Format: a '# NAME: client command' line, then the exact command string sshd would put"
echo "# in SSH_ORIGINAL_COMMAND. Every command line here must be allowed by offstage-shell."
cd "$work"
dst=dst
capture archive -a host:2026-11-22/ "$dst"
capture archive-verbose -av host:2026-11-22/ "$dst"
capture archive-compress -az host:2026-11-22/ "$dst"
capture archive-hardlinks-acls-xattrs -aHAX host:2026-11-22/ "$dst"
capture archive-full-mirror -aHAXxz --numeric-ids --delete host:2026-11-22/ "$dst"
capture progress-partial -aP host:2026-11-22/ "$dst"
capture partial -a --partial host:2026-11-22/ "$dst"
capture bwlimit -a --bwlimit=1000 host:2026-11-22/ "$dst"
capture bwlimit-unit -a --bwlimit=5m host:2026-11-22/ "$dst"
capture timeout -a --timeout=600 host:2026-11-22/ "$dst"
capture checksum -a --checksum host:2026-11-22/ "$dst"
capture dry-run -an host:2026-11-22/ "$dst"
capture very-verbose -avvv host:2026-11-22/ "$dst"
capture info-progress2 -a --info=progress2 host:2026-11-22/ "$dst"
capture list-only --list-only host:2026-11-22/
capture list-root --list-only host:
capture list-root-slash --list-only host:/
capture listing-without-archive host:2026-11-22/
capture recursive-no-archive -r host:2026-11-22/ "$dst"
capture files-from-local-list -a --files-from=list host:2026-11-22/ "$dst"
capture relative -aR host:2026-11-22/files.tar.zst.age "$dst"
capture relative-marker -aR host:2026-11-22/./files.tar.zst.age "$dst"
capture compress-choice -a --compress-choice=zstd host:2026-11-22/ "$dst"
capture compress-level -az --compress-level=9 host:2026-11-22/ "$dst"
capture checksum-choice -a --checksum-choice=xxh128 host:2026-11-22/ "$dst"
capture several-sources -a host:2026-11-22/SHA256SUMS host:2026-11-22/report.json "$dst"
capture one-file -a host:2026-11-22/files.tar.zst.age "$dst"
capture absolute-day -a host:/2026-11-22/ "$dst"
capture day-without-slash -a host:2026-11-22 "$dst"
capture path-with-space -a "host:2026-11-22/my dir/" "$dst"
capture stats-human -a --stats -h host:2026-11-22/ "$dst"
capture itemize -ai host:2026-11-22/ "$dst"
capture inplace-append -a --inplace --append-verify host:2026-11-22/ "$dst"
capture sparse-times -rtS host:2026-11-22/ "$dst"
capture exclude -a --exclude='*.tmp' host:2026-11-22/ "$dst"
capture ignore-existing -a --ignore-existing --size-only host:2026-11-22/ "$dst"
capture max-size -a --max-size=10G --min-size=1 host:2026-11-22/ "$dst"
capture modify-window -a --modify-window=2 host:2026-11-22/ "$dst"
capture iconv -a --iconv=utf8,latin1 host:2026-11-22/ "$dst"
capture protocol-29 -a --protocol=29 host:2026-11-22/ "$dst"
capture protocol-30 -av --protocol=30 host:2026-11-22/ "$dst"
capture block-size -a --block-size=8192 host:2026-11-22/ "$dst"
capture whole-file -aW host:2026-11-22/ "$dst"
capture open-noatime -a --open-noatime host:2026-11-22/ "$dst"
capture one-file-system -ax host:2026-11-22/ "$dst"
capture ipv4-compress-zlib -az --compress-choice=zlib host:2026-11-22/ "$dst"
capture checksum-seed -a --checksum-seed=42 host:2026-11-22/ "$dst"
capture debug-free-info -a --info=stats2,progress2 host:2026-11-22/ "$dst"
capture ignore-missing -a --ignore-missing-args host:2026-11-22/ "$dst"
capture delete-excluded -a --delete --delete-excluded --exclude=x host:2026-11-22/ "$dst"
capture links-times -rlt host:2026-11-22/ "$dst"
capture atimes -aU host:2026-11-22/ "$dst"
capture safe-links -a --safe-links host:2026-11-22/ "$dst"
capture munge-links -a --munge-links host:2026-11-22/ "$dst"
capture new-compress -a --new-compress host:2026-11-22/ "$dst"
capture old-compress -a --old-compress host:2026-11-22/ "$dst"
capture skip-compress -az --skip-compress=gz/zst/age host:2026-11-22/ "$dst"
# The client keeps its old copies; only the receiver (the client) ever makes backups.
capture backup -ab host:2026-11-22/ "$dst"
capture backup-dir -a --backup --backup-dir=old host:2026-11-22/ "$dst"
capture backup-suffix -a -b --suffix=.old host:2026-11-22/ "$dst"
capture backup-dir-outside-suffix -a --backup-dir=../old-2026-11-21 --suffix=.bak host:2026-11-22/ "$dst"
capture backup-dir-absolute-awkward -ab "--backup-dir=/backups/host/old [1] ~\$x" host:2026-11-22/ "$dst"
