#!/usr/bin/env bash
# Policy delegation load (Postfix SMTPD_POLICY_README protocol): Floodgate.LoadGen at 1, 8 and 64
# persistent connections against the no-op responder (the ceiling), Floodgate's policy server,
# postfwd and policyd-rate-limit, all in one run on this machine, one fresh server per data point.
# Appends a Markdown table to bench/RESULTS.md under "## Policy delegation load".
#
# Environment: DURATION (s per point, 15), WARMUP (s, 2), CONCURRENCIES ("1 8 64"),
# TARGETS ("noop floodgate postfwd policyd-rate-limit"), RECIPIENTS per message (5),
# MAILBOXES (10000), RESULTS (bench/RESULTS.md), NO_APPEND=1 to only print, FLOODGATE_SEEDED (a data
# folder seeded by lib.sh's seed_floodgate with the same MAILBOXES, copied instead of seeding anew).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-15}
WARMUP=${WARMUP:-2}
CONCURRENCIES=${CONCURRENCIES:-"1 8 64"}
TARGETS=${TARGETS:-"noop floodgate postfwd policyd-rate-limit"}
RECIPIENTS=${RECIPIENTS:-5}
MAILBOXES=${MAILBOXES:-10000}

WORK=$(mktemp -d /tmp/floodgate-policy.XXXXXX)
chmod 755 "$WORK"  # the peers drop privileges and must reach their files
cleanup() { stop_all; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in dotnet python3 curl; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
build_loadgen
JSONL=$WORK/results.jsonl
NOTES=()

# run_point LABEL PORT PID CONCURRENCY [MAILBOXES]
run_point() {
    local label=$1 port=$2 pid=$3 concurrency=$4 mailboxes=${5:-$MAILBOXES}
    log "$label, $concurrency connection(s), ${DURATION} s"
    # Bounded: the generator stops by itself after WARMUP+DURATION (+ at most 10 s of grace).
    timeout $((WARMUP + DURATION + 30)) dotnet "$LOADGEN_DLL" policy --target "127.0.0.1:$port" \
        --concurrency "$concurrency" --duration "$DURATION" --warmup "$WARMUP" --mailboxes "$mailboxes" \
        --recipients "$RECIPIENTS" --server-pid "$pid" --label "$label" --out "$JSONL" >&2 \
        || log "$label c=$concurrency: errors (see the Errors column)"
}

start_noop() {
    PORT=$(free_port)
    dotnet "$LOADGEN_DLL" noop --listen "127.0.0.1:$PORT" >"$WORK/noop.log" 2>&1 &
    PID=$!
    BENCH_PIDS+=("$PID")
    wait_port "$PORT" || die "no-op responder did not start: $(cat "$WORK/noop.log")"
}

# postfwd 1.35 (postfwd2 binary: a pre-forked Perl process per connection, a cache daemon).
# Limits as Floodgate's: 200 recipients per message, counted as RCPT requests per `instance`
# (recipient_count is 0 at RCPT, so rcpt() cannot do it), and 1000 recipients per hour per
# sasl_username. No ")" in a reply text: it silently disables the rule (NOTES.md).
write_postfwd_rules() {
    cat >"$WORK/postfwd.cf" <<'RULES'
id=RCPT_PER_MESSAGE; protocol_state==RCPT; action=rate(instance/200/3600/452 4.5.3 Too many recipients for one message)
id=RCPT_PER_HOUR; protocol_state==RCPT; action=rate(sasl_username/1000/3600/450 4.7.1 Hourly recipient limit reached, try again later)
RULES
}

start_postfwd() {
    PORT=$(free_port)
    local dir=$WORK/postfwd
    mkdir -p "$dir"
    chmod 777 "$dir"
    rm -f "$dir/master.pid" "$dir/cache.socket"
    write_postfwd_rules
    # As a daemon: with --nodaemon postfwd2 runs no cache daemon and rate() does nothing. It
    # chdirs to /, so every path is absolute. --perfmon: no logging (there is no syslog here).
    postfwd --file "$WORK/postfwd.cf" --interface 127.0.0.1 --port "$PORT" \
        --cache_proto unix --cache_port "$dir/cache.socket" --pidfile "$dir/master.pid" \
        --user nobody --group nogroup --nodns --perfmon >"$WORK/postfwd.log" 2>&1 \
        || die "postfwd did not start: $(tail -5 "$WORK/postfwd.log")"
    local i
    for i in $(seq 100); do [[ -s $dir/master.pid ]] && break; sleep 0.1; done
    PID=$(cat "$dir/master.pid")
    BENCH_GROUPS+=("$PID")
    wait_port "$PORT" 30 || die "postfwd did not listen on $PORT"
}

# policyd-rate-limit 1.0.1 (Python, one process, an SQLite row per accepted RCPT): 1000 per hour
# per sasl_username; it has no per-message cap.
start_policyd_rate_limit() {
    PORT=$(free_port)
    local dir=$WORK/policyd-rate-limit
    mkdir -p "$dir"
    chown policyd-rate-limit:policyd-rate-limit "$dir"
    rm -f "$dir/db.sqlite3"
    cat >"$dir/config.yaml" <<YAML
debug: False
user: "policyd-rate-limit"
group: "policyd-rate-limit"
pidfile: "$dir/policyd.pid"
backend: 0
sqlite_config:
    database: "$dir/db.sqlite3"
SOCKET: ["127.0.0.1", $PORT]
limits:
    - [1000, 3600]
limits_by_id: {}
limit_by_sasl: True
limit_by_sender: False
limit_by_ip: False
success_action: "dunno"
fail_action: "defer_if_permit Rate limit reach, retry later"
db_error_action: "dunno"
report: False
delay_to_close: 300
YAML
    policyd-rate-limit --file "$dir/config.yaml" >"$WORK/policyd.log" 2>&1 &
    PID=$!
    BENCH_PIDS+=("$PID")
    wait_port "$PORT" 30 || die "policyd-rate-limit did not start: $(tail -5 "$WORK/policyd.log")"
}

FLOODGATE_READY=""
FLOODGATE_MAILBOXES=$MAILBOXES
prepare_floodgate() {
    build_floodgate || return 1
    local data=$WORK/floodgate-data
    if [[ -n ${FLOODGATE_SEEDED:-} ]]; then
        # A data folder seeded before (and outside the bench lock): 10,000 Argon2id hashes take minutes.
        [[ -s $FLOODGATE_SEEDED/floodgate.db ]] || { log "FLOODGATE_SEEDED=$FLOODGATE_SEEDED has no floodgate.db"; return 1; }
        cp -r "$FLOODGATE_SEEDED" "$data"
    else
        # Bulk: one `domain add` for the 500 domains and one `mailbox import FILE.csv` for the mailboxes.
        seed_floodgate "$data" 500 "$MAILBOXES" || return 1
    fi
    FLOODGATE_READY=$data
}

start_floodgate_policy() {
    PORT=$(free_port)
    local smtp web sink
    smtp=$(free_port); web=$(free_port); sink=$(free_port)
    start_floodgate "$FLOODGATE_READY" "$smtp" "$web" "$sink" --policy "127.0.0.1:$PORT" || return 1
    PID=$FLOODGATE_PID
    wait_port "$PORT" 10 || { log "floodgate serve is up but nothing listens on --policy 127.0.0.1:$PORT"; return 1; }
}

for target in $TARGETS; do
    case $target in
        noop) label=noop; starter=start_noop ;;
        postfwd) label=postfwd; starter=start_postfwd ;;
        policyd-rate-limit) label=policyd-rate-limit; starter=start_policyd_rate_limit
            command -v policyd-rate-limit >/dev/null || die "policyd-rate-limit is not installed (apt-get install policyd-rate-limit)" ;;
        floodgate) label=floodgate; starter=start_floodgate_policy
            if ! prepare_floodgate; then
                NOTES+=("Floodgate: not measured, \`floodgate serve\` could not be built, seeded or started from this tree.")
                log "FLOODGATE PART FAILED: skipping it, measuring the others"
                continue
            fi ;;
        *) die "unknown target $target" ;;
    esac
    for concurrency in $CONCURRENCIES; do
        if ! $starter; then
            NOTES+=("$label: did not start for $concurrency connection(s).")
            stop_all
            continue
        fi
        run_point "$label" "$PORT" "$PID" "$concurrency" \
            "$([[ $target == floodgate ]] && echo "$FLOODGATE_MAILBOXES" || echo "$MAILBOXES")"
        stop_all
    done
done

[[ -s $JSONL ]] || die "no data point was measured"
TABLE=$WORK/table.md
{
    echo "### $(machine_line)"
    echo
    echo "Command: \`DURATION=$DURATION WARMUP=$WARMUP CONCURRENCIES=\"$CONCURRENCIES\" TARGETS=\"$TARGETS\" bench/load/policy.sh\`."
    echo "Workload: closed loop, one outstanding request per connection; per message $RECIPIENTS RCPT requests"
    echo "(recipient_count=0) and one END-OF-MESSAGE request, senders drawn from $MAILBOXES SASL mailboxes;"
    echo "${DURATION} s measured after ${WARMUP} s warm-up, a fresh server per row. Latency is per request, as seen by"
    echo "the generator; peak RSS is the server's VmHWM for one process, the largest sampled PSS sum (4 Hz) for a process tree (postfwd)."
    echo "The generator runs on the same 2 cores as the server."
    echo
    dotnet "$LOADGEN_DLL" report --in "$JSONL" --baseline postfwd --ceiling noop
    for note in "${NOTES[@]}"; do echo; echo "- $note"; done
} >"$TABLE"
cat "$TABLE"
if [[ -z ${NO_APPEND:-} ]]; then append_results "Policy delegation load" "$TABLE"; fi
