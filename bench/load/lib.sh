# Shared helpers of the load scripts (sourced, not run).
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RESULTS=${RESULTS:-$ROOT/bench/RESULTS.md}
LOADGEN_DLL=$ROOT/bench/Floodgate.LoadGen/bin/Release/net10.0/Floodgate.LoadGen.dll
FLOODGATE_DIR=${FLOODGATE_DIR:-$ROOT/.build/bench-floodgate}

BENCH_PIDS=()
# Daemons that detach (postfwd): their process group id, which is the master's pid.
BENCH_GROUPS=()

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# A free loopback TCP port, chosen by the kernel.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT [SECONDS]: true once something accepts on 127.0.0.1:PORT.
wait_port() {
    local port=$1 deadline=$((SECONDS + ${2:-20}))
    while ((SECONDS < deadline)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

# stop_pid PID: SIGTERM, then SIGKILL after 5 s; only processes this script started.
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        pkill -KILL -P "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

stop_group() {
    local group=$1 i
    kill -TERM -- "-$group" 2>/dev/null || return 0
    for i in $(seq 50); do
        pgrep -g "$group" >/dev/null 2>&1 || return 0
        sleep 0.1
    done
    kill -KILL -- "-$group" 2>/dev/null || true
}

stop_all() {
    local pid group
    for pid in "${BENCH_PIDS[@]}"; do stop_pid "$pid"; done
    for group in "${BENCH_GROUPS[@]}"; do stop_group "$group"; done
    BENCH_PIDS=()
    BENCH_GROUPS=()
}

build_loadgen() {
    log "building Floodgate.LoadGen"
    dotnet build "$ROOT/bench/Floodgate.LoadGen/Floodgate.LoadGen.csproj" -c Release -nologo -v q >/dev/null \
        || die "dotnet build bench/Floodgate.LoadGen"
}

# Publishes src/Floodgate once into $FLOODGATE_DIR; false (with a message) when the tree has no
# `floodgate serve` yet.
build_floodgate() {
    log "publishing src/Floodgate to $FLOODGATE_DIR"
    if ! dotnet publish "$ROOT/src/Floodgate/Floodgate.csproj" -c Release -o "$FLOODGATE_DIR" -nologo -v q >"$WORK/publish.log" 2>&1; then
        log "dotnet publish src/Floodgate failed (see below)"; tail -20 "$WORK/publish.log" >&2; return 1
    fi
    if ! timeout 30 dotnet "$FLOODGATE_DIR/floodgate.dll" --help 2>&1 | grep -qw serve; then
        log "this tree's floodgate has no 'serve' command yet (integrator's interface not landed): Floodgate part not run"
        return 1
    fi
}

floodgate() { timeout 60 dotnet "$FLOODGATE_DIR/floodgate.dll" "$@"; }

# Limits of the benchmark plan: every window at every scope raised to 100,000,000 so that none
# fires while all are evaluated; the per-message cap stays at the policy's 200.
FLOODGATE_BENCH_LIMITS=(--limit max-recipients=200)
for scope in mailbox domain client; do
    for window in messages-per-hour external-per-hour external-per-day internal-per-hour internal-per-day; do
        FLOODGATE_BENCH_LIMITS+=(--limit "$scope.$window=100000000")
    done
done

# Creates the account database the SMTP and policy runs use: one client "Bench" with domains
# bench.test (sender@bench.test) and bench-internal.test (internal recipients for the SMTP run),
# the plan "bench" (FLOODGATE_BENCH_LIMITS), and MAILBOXES more mailboxes bulk-imported from CSV.
# seed_floodgate DATADIR DOMAINS MAILBOXES: mailbox n is user{n}@client{n%DOMAINS}.test.
seed_floodgate() {
    local data=$1 domains=$2 mailboxes=$3 n
    mkdir -p "$data"
    floodgate --data "$data" plan add bench "${FLOODGATE_BENCH_LIMITS[@]}" >/dev/null || return 1
    floodgate --data "$data" client add Bench --contact-name Bench --contact-phone "+1 555 0100" \
        --contact-email bench@bench.test --plan bench >/dev/null || return 1
    floodgate --data "$data" plan assign Bench bench >/dev/null || return 1
    floodgate --data "$data" domain add bench.test --client Bench >/dev/null || return 1
    floodgate --data "$data" domain add bench-internal.test --client Bench >/dev/null || return 1
    floodgate --data "$data" mailbox add sender@bench.test --password bench-password >/dev/null || return 1
    ((mailboxes > 0)) || return 0
    # One `domain add` with every name: one process start and one commit (one started per domain took ~7 min for 500).
    local names=()
    for ((n = 0; n < domains && n < mailboxes; n++)); do names+=("client$n.test"); done
    floodgate --data "$data" domain add "${names[@]}" --client Bench >/dev/null || return 1
    {
        echo "address,password"
        for ((n = 0; n < mailboxes; n++)); do echo "user$n@client$((n % domains)).test,bench-password"; done
    } >"$WORK/mailboxes.csv"
    timeout 600 dotnet "$FLOODGATE_DIR/floodgate.dll" --data "$data" mailbox import "$WORK/mailboxes.csv" >/dev/null || return 1
}

# start_floodgate DATADIR SMTPPORT WEBPORT UPSTREAMPORT [extra serve options...]: sets FLOODGATE_PID.
start_floodgate() {
    local data=$1 smtp=$2 web=$3 upstream=$4
    shift 4
    dotnet "$FLOODGATE_DIR/floodgate.dll" serve --data "$data" --smtp "127.0.0.1:$smtp" --web "127.0.0.1:$web" \
        --trusted 127.0.0.1/32 --upstream "smtp://127.0.0.1:$upstream" "$@" >"$WORK/floodgate.log" 2>&1 &
    FLOODGATE_PID=$!
    BENCH_PIDS+=("$FLOODGATE_PID")
    local deadline=$((SECONDS + 60))
    while ((SECONDS < deadline)); do
        if curl -fsS "http://127.0.0.1:$web/healthz" >/dev/null 2>&1; then return 0; fi
        if ! kill -0 "$FLOODGATE_PID" 2>/dev/null; then break; fi
        sleep 0.2
    done
    log "floodgate serve did not become healthy on http://127.0.0.1:$web/healthz; its log:"
    tail -30 "$WORK/floodgate.log" >&2
    return 1
}

machine_line() {
    printf '%s, `nproc` %s, %s, .NET %s' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)" \
        "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" "$(dotnet --version)"
}

# append_results SECTION FILE: inserts FILE's text at the end of the "## SECTION" part of RESULTS.md,
# creating the file or the section when absent.
append_results() {
    local section=$1 file=$2
    python3 - "$RESULTS" "## $section" "$file" <<'PY'
import os, sys
path, heading, addition = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip("\n") + "\n"
text = open(path).read() if os.path.exists(path) else "# Floodgate benchmark results\n"
lines = text.rstrip("\n").split("\n")
if heading not in lines:
    lines += ["", heading]
start = lines.index(heading)
end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
block = ["", *addition.rstrip("\n").split("\n")]
lines[end:end] = block + ([""] if end < len(lines) else [])
open(path, "w").write("\n".join(lines).rstrip("\n") + "\n")
PY
    log "appended to $RESULTS under '## $section'"
}
