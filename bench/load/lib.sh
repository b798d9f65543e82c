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
    # With a hash made once by Dovecot's doveadm, stored as given: seconds for 10,000 (plaintext runs
    # Argon2id per line, minutes at this machine's hashing rate; only the SMTP run's sender logs in).
    local column=password secret=bench-password
    if command -v doveadm >/dev/null; then
        column=password_hash
        secret=$(doveadm pw -s SHA512-CRYPT -p bench-password)
    else
        log "doveadm is missing (dovecot-core): importing plaintext passwords, at the hashing rate"
    fi
    {
        echo "address,$column"
        for ((n = 0; n < mailboxes; n++)); do echo "user$n@client$((n % domains)).test,\"$secret\""; done
    } >"$WORK/mailboxes.csv"
    timeout 600 dotnet "$FLOODGATE_DIR/floodgate.dll" --data "$data" mailbox import "$WORK/mailboxes.csv" >/dev/null || return 1
}

# start_floodgate DATADIR SMTPPORT WEBPORT UPSTREAMPORT [extra serve options...]: sets FLOODGATE_PID.
start_floodgate() {
    local data=$1 smtp=$2 web=$3 upstream=$4
    shift 4
    # For perf (PROFILE): the JIT writes /tmp/perf-PID.map.
    if [[ -n ${PROFILE:-} ]]; then export DOTNET_PerfMapEnabled=1; fi
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

# --- smtp-source -> smtp-sink measurement (smtp.sh, milter.sh) --------------------------------
# They use the caller's WORK, SINK_PORT (smtp-sink -c writing $WORK/sink.out), SESSIONS, SIZE,
# POINT_SECONDS, RECIPIENTS and ROWS, and smtp-source/smtp-sink at SMTP_SOURCE/SMTP_SINK.

now() { date +%s.%N; }

# The recipient smtp-source is given (it prefixes a number per recipient when -r > 1). One
# recipient: external, as most submissions are. Several: a domain of the sender's own client, so
# Floodgate's mass-mail detector (rightly) does not take 50 identical recipients-near-the-cap
# messages from one sender for a run (bench/README.md). The limit and Postfix ignore the address.
recipient_for() {
    if (($1 > 1)); then echo rcpt@bench-internal.test; else echo rcpt@sink.test; fi
}

sink_count() {
    tr '\r' '\n' <"$WORK/sink.out" | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2 | grep . || echo 0
}

# wait_delivered TARGET_COUNT: waits until smtp-sink has counted TARGET_COUNT messages, or until it
# has made no progress for 10 s; prints the time it got there.
wait_delivered() {
    local target=$1 last=-1 count stalled_since=$SECONDS
    while true; do
        count=$(sink_count)
        if ((count >= target)); then now; return 0; fi
        if ((count != last)); then last=$count; stalled_since=$SECONDS; fi
        if ((SECONDS - stalled_since >= 10)); then now; return 1; fi
        sleep 0.05
    done
}

# measure LABEL PORT RCPTS MODE MESSAGES: one smtp-source run; sets RATE_MSGS, DELIVERED, SOURCE_SECONDS, E2E_SECONDS.
# cpu_ticks PID: user + system CPU of every thread of PID so far, in clock ticks (0 if it is gone).
cpu_ticks() {
    [[ -n ${1:-} && -r /proc/$1/stat ]] || { echo 0; return; }
    # Fields after the ")" of the command name: utime and stime are the 12th and 13th.
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

measure() {
    local label=$1 port=$2 rcpts=$3 mode=$4 messages=$5 before started finished delivered_at flags=()
    local sink_before fg_before fg_pid=""
    [[ $mode == kept-open ]] && flags+=(-d)
    [[ $label == floodgate* ]] && fg_pid=${FLOODGATE_PID:-}
    before=$(sink_count)
    sink_before=$(cpu_ticks "${SINK_PID:-}")
    fg_before=$(cpu_ticks "$fg_pid")
    started=$(now)
    # PROFILE=DIR: `perf record -g` of Floodgate at the start of PROFILE_LABEL's (floodgate-redis)
    # kept-open point, for PERF_SECONDS (4), into DIR/LABEL.perf.data (JIT symbols: start_floodgate).
    if [[ -n ${PROFILE:-} && -n $fg_pid && $label == "${PROFILE_LABEL:-floodgate-redis}" && $mode == kept-open && $messages -gt 1000 ]]; then
        mkdir -p "$PROFILE"
        perf record -F 999 -g -p "$fg_pid" -o "$PROFILE/$label.perf.data" -- sleep "${PERF_SECONDS:-4}" >"$PROFILE/$label.perf-record.log" 2>&1 &
    fi
    # Bounded: at most 4 x the data point's target length plus a minute. /usr/bin/time gives
    # smtp-source's own CPU; smtp-sink's and Floodgate's come from /proc (all their threads).
    if ! timeout $((POINT_SECONDS * 4 + 60)) /usr/bin/time -f "%U %S" -o "$WORK/source.cpu" "$SMTP_SOURCE" "${flags[@]}" -s "$SESSIONS" -m "$messages" -r "$rcpts" \
        -l "$SIZE" -f sender@bench.test -t "$(recipient_for "$rcpts")" "127.0.0.1:$port" 2>"$WORK/source.err"; then
        log "$label: smtp-source failed: $(tail -2 "$WORK/source.err")"
        SOURCE_ERRORS=1
    fi
    finished=$(now)
    delivered_at=$(wait_delivered $((before + messages))) || log "$label: smtp-sink stopped short of $messages messages"
    DELIVERED=$(($(sink_count) - before))
    # CPU microseconds per delivered message: the load generator's, the sink's and (for a
    # Floodgate point) Floodgate's. On cores shared by all three, throughput × limit is about
    # (source + sink) / (source + sink + Floodgate): 0.5 is Floodgate costing what the other two do.
    local hz ticks_sink ticks_fg
    hz=$(getconf CLK_TCK)
    ticks_sink=$(( $(cpu_ticks "${SINK_PID:-}") - sink_before ))
    ticks_fg=0
    [[ -n $fg_pid ]] && ticks_fg=$(( $(cpu_ticks "$fg_pid") - fg_before ))
    CPU_SOURCE_US=$(awk -v n="$DELIVERED" 'NR == 1 && n > 0 { printf "%.1f", ($1 + $2) * 1e6 / n; exit } END { if (NR == 0 || n == 0) print 0 }' "$WORK/source.cpu" 2>/dev/null || echo 0)
    CPU_SINK_US=$(awk -v t="$ticks_sink" -v hz="$hz" -v n="$DELIVERED" 'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }')
    CPU_FLOODGATE_US=$(awk -v t="$ticks_fg" -v hz="$hz" -v n="$DELIVERED" 'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }')
    SOURCE_SECONDS=$(awk -v a="$started" -v b="$finished" 'BEGIN { printf "%.3f", b - a }')
    E2E_SECONDS=$(awk -v a="$started" -v b="$delivered_at" 'BEGIN { printf "%.3f", b - a }')
    RATE_MSGS=$(awk -v n="$DELIVERED" -v s="$E2E_SECONDS" 'BEGIN { printf "%.1f", (s > 0 ? n / s : 0) }')
}

# run_point LABEL PORT RCPTS MODE: a short pilot sizes the real run to about POINT_SECONDS.
run_point() {
    local label=$1 port=$2 rcpts=$3 mode=$4 pilot messages
    SOURCE_ERRORS=0
    pilot=$((rcpts > 1 ? 200 : 1000))
    measure "$label" "$port" "$rcpts" "$mode" "$pilot"
    messages=$(awk -v r="$RATE_MSGS" -v t="$POINT_SECONDS" 'BEGIN { n = int(r * t); if (n < 200) n = 200; if (n > 400000) n = 400000; print n }')
    log "$label, $rcpts recipient(s), $mode: pilot $RATE_MSGS messages/s, now $messages messages"
    SOURCE_ERRORS=0
    measure "$label" "$port" "$rcpts" "$mode" "$messages"
    log "$label, $rcpts recipient(s), $mode: $DELIVERED of $messages delivered in $E2E_SECONDS s (smtp-source done after $SOURCE_SECONDS s): $RATE_MSGS messages/s"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$rcpts" "$mode" "$messages" "$DELIVERED" \
        "$SOURCE_SECONDS" "$E2E_SECONDS" "$RATE_MSGS" "$SOURCE_ERRORS" "$CPU_SOURCE_US" "$CPU_SINK_US" "$CPU_FLOODGATE_US" >>"$ROWS"
}

run_target() {
    local label=$1 port=$2 rcpts mode
    for rcpts in $RECIPIENTS; do
        for mode in kept-open reconnecting; do
            run_point "$label" "$port" "$rcpts" "$mode"
        done
    done
}

# --- the private Postfix relay -------------------------------------------------------------
# Postfix accepts alternate config directories only when the default main.cf lists them, so the
# private instance lives at a fixed path; a lock keeps two runs apart. start_postfix relays to
# smtp-sink at SINK_PORT and appends POSTFIX_EXTRA_CF (main.cf lines) to its main.cf.
POSTFIX_DIR=/tmp/floodgate-bench-postfix
POSTFIX_STARTED=""

ensure_default_main_cf() {
    local main=/etc/postfix/main.cf
    if [[ ! -e $main ]]; then
        log "creating $main (absent): Postfix reads it to allow $POSTFIX_DIR"
        printf 'compatibility_level = 3.6\nalternate_config_directories = %s\n' "$POSTFIX_DIR" >"$main"
    elif ! postconf -h alternate_config_directories | grep -qF "$POSTFIX_DIR"; then
        local current
        current=$(postconf -h alternate_config_directories)
        postconf -e "alternate_config_directories = ${current:+$current, }$POSTFIX_DIR"
    fi
}

start_postfix() {
    exec 9>/tmp/floodgate-bench-postfix.lock
    flock -n 9 || { log "another load run holds $POSTFIX_DIR"; return 1; }
    POSTFIX_PORT=$(free_port)
    ensure_default_main_cf
    if [[ -e $POSTFIX_DIR/queue/pid/master.pid ]]; then postfix -c "$POSTFIX_DIR" stop >/dev/null 2>&1 || true; sleep 1; fi
    rm -rf "$POSTFIX_DIR"
    mkdir -p "$POSTFIX_DIR/queue" "$POSTFIX_DIR/data"
    chown postfix "$POSTFIX_DIR/data"
    # master.cf: smtpd on a loopback port, no chroot (the private queue has no chroot files).
    awk -v port="$POSTFIX_PORT" '
        /^#/ || NF < 8 { print; next }
        $1 == "smtp" && $2 == "inet" { $1 = "127.0.0.1:" port }
        $5 == "y" { $5 = "n" }
        { print }' /etc/postfix/master.cf >"$POSTFIX_DIR/master.cf"
    cat >"$POSTFIX_DIR/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $POSTFIX_DIR/queue
data_directory = $POSTFIX_DIR/data
maillog_file = $POSTFIX_DIR/maillog
maillog_file_prefixes = /var, /tmp
myhostname = relay.bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$SINK_PORT
alias_maps =
alias_database =
local_recipient_maps =
smtputf8_enable = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
${POSTFIX_EXTRA_CF:-}
smtp_tls_security_level = none
smtpd_tls_security_level = none
CF
    if ! script -qc "postfix -c $POSTFIX_DIR start" /dev/null >"$WORK/postfix-start.log" 2>&1; then
        log "postfix -c $POSTFIX_DIR start failed:"; cat "$WORK/postfix-start.log" >&2; return 1
    fi
    POSTFIX_STARTED=1
    wait_port "$POSTFIX_PORT" 30
}

stop_postfix() {
    [[ -n ${POSTFIX_STARTED:-} ]] || return 0
    postfix -c "$POSTFIX_DIR" stop >/dev/null 2>&1 || true
    # postfix stop returns before the master has gone; give it a moment before removing its files.
    for _ in $(seq 50); do [[ -e $POSTFIX_DIR/queue/pid/master.pid ]] || break; sleep 0.1; done
    rm -rf "$POSTFIX_DIR"
    POSTFIX_STARTED=""
}
