#!/usr/bin/env bash
# Provisioning at scale: `floodgate mailbox import` of MAILBOXES mailboxes (100 domains) with hashes
# from the provider's systems (one Dovecot hash per SCHEME, made by `doveadm pw`, reused for every
# line: the import stores a hash as given, so its cost does not depend on which one), with plaintext
# passwords (Argon2id on every core), and `mailbox sync` of the same file twice (the second run
# changes nothing). Wall time and peak RSS (GNU time) per run, REPEATS times.
#
# Environment: MAILBOXES (10000), PLAINTEXT (MAILBOXES: the plaintext run's size), SCHEMES
# ("SHA512-CRYPT BLF-CRYPT ARGON2ID"), REPEATS (3).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MAILBOXES=${MAILBOXES:-10000}
PLAINTEXT=${PLAINTEXT:-$MAILBOXES}
SCHEMES=${SCHEMES:-SHA512-CRYPT BLF-CRYPT ARGON2ID}
REPEATS=${REPEATS:-3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
command -v doveadm >/dev/null || die "doveadm is missing: install dovecot-core"

log "building"
dotnet build "$ROOT/src/Floodgate/Floodgate.csproj" -c Release --verbosity quiet -nologo >/dev/null
FLOODGATE=$ROOT/src/Floodgate/bin/Release/net10.0/floodgate.dll

# fresh DATADIR: one client and 100 domains, no mailboxes.
fresh() {
    local data=$1 names=() n
    rm -rf "$data"
    dotnet "$FLOODGATE" --data "$data" client add Bench --contact-name Bench --contact-phone "+1 555 0100" --contact-email bench@bench.test >/dev/null
    for ((n = 0; n < 100; n++)); do names+=("client$n.test"); done
    dotnet "$FLOODGATE" --data "$data" domain add "${names[@]}" --client Bench >/dev/null
}

# timed LABEL COMMAND...: one line "LABEL: N s, peak RSS M MiB".
timed() {
    local label=$1
    shift
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >/dev/null
    read -r seconds kib <"$WORK/time"
    printf '%-34s %6.1f s  peak RSS %4d MiB\n' "$label" "$seconds" $((kib / 1024))
}

for scheme in $SCHEMES; do
    hash=$(doveadm pw -s "$scheme" -p bench-password)
    {
        echo "address,password_hash"
        for ((n = 0; n < MAILBOXES; n++)); do echo "user$n@client$((n % 100)).test,\"$hash\""; done
    } >"$WORK/hashes-$scheme.csv"
done
{
    echo "address,password"
    for ((n = 0; n < PLAINTEXT; n++)); do echo "user$n@client$((n % 100)).test,bench-password-$n"; done
} >"$WORK/plain.csv"

for run in $(seq "$REPEATS"); do
    log "run $run of $REPEATS"
    for scheme in $SCHEMES; do
        fresh "$WORK/data"
        timed "import $MAILBOXES, $scheme" dotnet "$FLOODGATE" --data "$WORK/data" mailbox import "$WORK/hashes-$scheme.csv"
        timed "sync $MAILBOXES (unchanged), $scheme" dotnet "$FLOODGATE" --data "$WORK/data" mailbox sync "$WORK/hashes-$scheme.csv"
    done
    fresh "$WORK/data"
    timed "import $PLAINTEXT, plaintext" dotnet "$FLOODGATE" --data "$WORK/data" mailbox import "$WORK/plain.csv"
done
