#!/usr/bin/env bash
# The console's pages at the issue's size: a data folder with 10,000 mailboxes (1,000 clients,
# 5 domains each, 10 mailboxes a domain) and a million transactions over 30 days, 200 incidents with
# evidence (Floodgate.ConsoleLoad seed, kept in .build/console-data between runs: SEED=1 makes it
# again), then `floodgate serve` on it and every console, portal and API page timed by
# Floodgate.ConsoleLoad measure (signed in as an abuse-desk operator, and as a client administrator
# for the portal), REPEATS times. Prints one line per page and run: p50, p90, p99, max.
#
# Environment: MAILBOXES (10000), TRANSACTIONS (1000000), REQUESTS (300 per page), CONCURRENCY (4),
# REPEATS (3), PAGES (comma-separated; default: Floodgate.ConsoleLoad's list), SEED=1.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MAILBOXES=${MAILBOXES:-10000}
TRANSACTIONS=${TRANSACTIONS:-1000000}
REQUESTS=${REQUESTS:-300}
CONCURRENCY=${CONCURRENCY:-4}
REPEATS=${REPEATS:-3}
DATA=${DATA:-$ROOT/.build/console-data-$MAILBOXES-$TRANSACTIONS}
CONSOLE_DLL=$ROOT/bench/Floodgate.ConsoleLoad/bin/Release/net10.0/Floodgate.ConsoleLoad.dll

cleanup() { stop_all; }
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building"
dotnet build "$ROOT/src/Floodgate/Floodgate.csproj" -c Release --verbosity quiet -nologo >/dev/null
dotnet build "$ROOT/bench/Floodgate.ConsoleLoad/Floodgate.ConsoleLoad.csproj" -c Release --verbosity quiet -nologo >/dev/null
FLOODGATE=$ROOT/src/Floodgate/bin/Release/net10.0/floodgate.dll

if [ "${SEED:-0}" = 1 ] || [ ! -f "$DATA/floodgate.db" ]; then
    rm -rf "$DATA"
    log "seeding $MAILBOXES mailboxes and $TRANSACTIONS transactions into $DATA"
    dotnet "$CONSOLE_DLL" seed --data "$DATA" --mailboxes "$MAILBOXES" --transactions "$TRANSACTIONS" --incidents 200
fi

WEB_PORT=$(free_port)
log "serve on $DATA (web 127.0.0.1:$WEB_PORT)"
dotnet "$FLOODGATE" --data "$DATA" serve --smtp 127.0.0.1:0 --policy 127.0.0.1:0 --milter 127.0.0.1:0 --lmtp 127.0.0.1:0 --web "127.0.0.1:$WEB_PORT" \
    >"$DATA/serve.log" 2>&1 &
BENCH_PIDS+=($!)
started=$SECONDS
until curl -fsS "http://127.0.0.1:$WEB_PORT/healthz" >/dev/null 2>&1; do
    ((SECONDS - started < 300)) || die "serve did not start: $(tail -5 "$DATA/serve.log")"
    sleep 0.5
done
log "serve answered after $((SECONDS - started)) s (windows and detector rebuilt from the log)"

for run in $(seq "$REPEATS"); do
    log "run $run of $REPEATS"
    args=(measure --web "http://127.0.0.1:$WEB_PORT" --data "$DATA" --requests "$REQUESTS" --concurrency "$CONCURRENCY")
    [ -n "${PAGES:-}" ] && args+=(--pages "$PAGES")
    dotnet "$CONSOLE_DLL" "${args[@]}"
done
