#!/usr/bin/env bash
# SMTP relay load with Postfix's smtp-source and smtp-sink, three paths measured in one run:
#   limit      smtp-source -> smtp-sink
#   floodgate  smtp-source -> floodgate serve -> smtp-sink
#   postfix    smtp-source -> private Postfix relay, postfwd as check_policy_service -> smtp-sink
# for 1 and 50 recipients x 5 KB, 20 parallel sessions, kept open (-d) and reconnecting.
# A data point is timed end to end: from smtp-source's start until smtp-sink has counted every
# message (Postfix queues before it delivers, so smtp-source's own time would flatter it).
# Appends a Markdown table to bench/RESULTS.md under "## SMTP load".
#
# Environment: POINT_SECONDS (target length of a data point, 12), SESSIONS (20), SIZE (5120),
# RECIPIENTS ("1 50"), TARGETS ("limit floodgate postfix"; floodgate-mailkit, after floodgate, restarts
# it with Upstream:Pipelining=false so every message goes through MailKit; floodgate-redis restarts it
# with its windows in a private redis-server), WARMUP_MESSAGES (Floodgate's warm-up,
# 20000), RESULTS, NO_APPEND=1 to only print.
# PROFILE=DIR records `perf record -g` of Floodgate during the kept-open point of PROFILE_LABEL (floodgate-redis) (lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

POINT_SECONDS=${POINT_SECONDS:-12}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-5120}
RECIPIENTS=${RECIPIENTS:-"1 50"}
TARGETS=${TARGETS:-"limit floodgate postfix"}
# A server runs for weeks: measure it warm. With tiered PGO the JIT still re-compiles hot paths
# after 10,000 messages (bench/RESULTS.md, "Gateway: profile"); the pilots alone are too short.
WARMUP_MESSAGES=${WARMUP_MESSAGES:-20000}
SMTP_SOURCE=/usr/sbin/smtp-source
SMTP_SINK=/usr/sbin/smtp-sink

WORK=$(mktemp -d /tmp/floodgate-smtp.XXXXXX)
chmod 755 "$WORK"
cleanup() {
    stop_postfix
    stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in "$SMTP_SOURCE" "$SMTP_SINK" python3 curl; do
    command -v "$tool" >/dev/null || die "$tool missing: apt-get install postfix (see NOTES.md for a quiet install)"
done

# One smtp-sink for the whole run; -c makes it print "sess=N quit=N mesg=N" counters.
SINK_PORT=$(free_port)
"$SMTP_SINK" -u nobody -c "127.0.0.1:$SINK_PORT" 1024 >"$WORK/sink.out" 2>&1 &
SINK_PID=$!
BENCH_PIDS+=("$SINK_PID")
wait_port "$SINK_PORT" || die "smtp-sink did not start"

ROWS=$WORK/rows.tsv
: >"$ROWS"
NOTES=()

# --- the private Postfix relay with postfwd --------------------------------------------------

start_postfwd_for_postfix() {
    POSTFWD_PORT=$(free_port)
    local dir=$WORK/postfwd
    mkdir -p "$dir"
    chmod 777 "$dir"
    # The production rules with the hourly cap raised so it does not fire; both rules are evaluated
    # for every RCPT. postfwd's rate() counts requests, so RCPT requests per `instance` are the
    # recipients of one message. No ")" in a reply text (it silently disables the rule).
    cat >"$WORK/postfwd.cf" <<'RULES'
id=RCPT_PER_MESSAGE; protocol_state==RCPT; action=rate(instance/200/3600/452 4.5.3 Too many recipients for one message)
id=RCPT_PER_HOUR; protocol_state==RCPT; action=rate(sender/100000000/3600/450 4.7.1 Hourly recipient limit reached, try again later)
RULES
    # Daemon mode: with --nodaemon postfwd2 has no cache daemon and rate() does nothing.
    postfwd --file "$WORK/postfwd.cf" --interface 127.0.0.1 --port "$POSTFWD_PORT" \
        --cache_proto unix --cache_port "$dir/cache.socket" --pidfile "$dir/master.pid" \
        --user nobody --group nogroup --nodns --perfmon >"$WORK/postfwd.log" 2>&1 || return 1
    for _ in $(seq 100); do [[ -s $dir/master.pid ]] && break; sleep 0.1; done
    BENCH_GROUPS+=("$(cat "$dir/master.pid")")
    wait_port "$POSTFWD_PORT" 30
}

# --- Floodgate -----------------------------------------------------------------------------

start_floodgate_smtp() {
    build_floodgate || return 1
    local data=$WORK/floodgate-data web
    [[ -d $data ]] || seed_floodgate "$data" 0 0 || { log "seeding the Floodgate account database failed (CLI interface not landed?)"; return 1; }
    FLOODGATE_SMTP_PORT=$(free_port)
    web=$(free_port)
    start_floodgate "$data" "$FLOODGATE_SMTP_PORT" "$web" "$SINK_PORT"
}

for target in $TARGETS; do
    case $target in
        limit) run_target limit "$SINK_PORT" ;;
        floodgate)
            if start_floodgate_smtp; then
                log "floodgate: warm-up, $WARMUP_MESSAGES messages (not measured)"
                measure floodgate-warmup "$FLOODGATE_SMTP_PORT" 1 kept-open "$WARMUP_MESSAGES"
                run_target floodgate "$FLOODGATE_SMTP_PORT"
            else
                log "FLOODGATE PART FAILED: floodgate serve could not be built, seeded or started; measuring the others"
                NOTES+=("Floodgate: not measured, \`floodgate serve\` could not be built, seeded or started from this tree.")
            fi
            ;;
        floodgate-mailkit)
            # The same process with Upstream:Pipelining off: every message through MailKit, the
            # relay client before the pipelined one (bench/RESULTS.md, "Gateway: the pipelined relay client").
            if [[ -n ${FLOODGATE_PID:-} ]]; then stop_pid "$FLOODGATE_PID"; FLOODGATE_PID=; fi
            if FLOODGATE_Upstream__Pipelining=false start_floodgate_smtp; then
                log "floodgate-mailkit: warm-up, $WARMUP_MESSAGES messages (not measured)"
                measure floodgate-mailkit-warmup "$FLOODGATE_SMTP_PORT" 1 kept-open "$WARMUP_MESSAGES"
                run_target floodgate-mailkit "$FLOODGATE_SMTP_PORT"
            else
                die "floodgate serve (Upstream:Pipelining=false) could not be started"
            fi
            ;;
        floodgate-redis)
            # The same process with its windows in a private Redis (serve --redis): the shared store's
            # cost on one node. Redis's own CPU is not in Floodgate's column; its commands per
            # delivered message are counted from INFO.
            if [[ -n ${FLOODGATE_PID:-} ]]; then stop_pid "$FLOODGATE_PID"; FLOODGATE_PID=; fi
            REDIS_PORT=$(free_port)
            redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$WORK/redis.log" 2>&1 &
            REDIS_PID=$!
            BENCH_PIDS+=("$REDIS_PID")
            wait_port "$REDIS_PORT" || die "redis-server did not start"
            if FLOODGATE_Redis__Configuration=127.0.0.1:$REDIS_PORT start_floodgate_smtp; then
                log "floodgate-redis: warm-up, $WARMUP_MESSAGES messages (not measured)"
                measure floodgate-redis-warmup "$FLOODGATE_SMTP_PORT" 1 kept-open "$WARMUP_MESSAGES"
                # Round trips are the commands Floodgate sends (the scripts' own HMGET, HINCRBY... are not):
                # counted over the measured points only.
                redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
                before_rows=$(wc -l <"$ROWS")
                redis_ticks_before=$(awk '{ print $14 + $15 }' "/proc/$REDIS_PID/stat")
                run_target floodgate-redis "$FLOODGATE_SMTP_PORT"
                redis_ticks=$(( $(awk '{ print $14 + $15 }' "/proc/$REDIS_PID/stat") - redis_ticks_before ))
                delivered=$(tail -n +$((before_rows + 1)) "$ROWS" | awk -F'\t' '{ s += $5 } END { print s + 0 }')
                stats=$(redis-cli -p "$REDIS_PORT" info commandstats | tr -d '\r')
                # What Floodgate sends: the scripts' own MGET and SET are counted by Redis too, and are left out.
                sent=$(grep -oE 'cmdstat_(evalsha|eval|xadd|xread|zadd|zcard|zremrangebyscore|publish|ping|echo):calls=[0-9]+' <<<"$stats" | awk -F= '{ s += $2 } END { print s + 0 }')
                scripts=$(grep -oE 'cmdstat_evalsha?:calls=[0-9]+' <<<"$stats" | awk -F= '{ s += $2 } END { print s + 0 }')
                NOTES+=("floodgate-redis: $sent commands sent to Redis for $delivered delivered messages, $(awk -v c="$sent" -v n="$delivered" 'BEGIN { printf "%.2f", (n > 0 ? c / n : 0) }') per message ($(awk -v c="$scripts" -v n="$delivered" 'BEGIN { printf "%.2f", (n > 0 ? c / n : 0) }') scripts: reserve at the first RCPT with MAIL's message, awaited; commit, not); redis-server CPU $(awk -v t="$redis_ticks" -v hz="$(getconf CLK_TCK)" -v n="$delivered" 'BEGIN { printf "%.0f", (n > 0 ? t * 1e6 / hz / n : 0) }') µs per message (not in Floodgate's column); $(grep -oE 'cmdstat_[a-z]+:calls=[0-9]+' <<<"$stats" | grep -v -E 'info|config' | tr '\n' ' ')")
            else
                die "floodgate serve --redis could not be started"
            fi
            ;;
        postfix)
            start_postfwd_for_postfix || die "postfwd did not start: $(tail -5 "$WORK/postfwd.log")"
            POSTFIX_EXTRA_CF="smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:$POSTFWD_PORT"
            start_postfix || die "the private Postfix did not start"
            run_target "postfix+postfwd" "$POSTFIX_PORT" ;;
        *) die "unknown target $target" ;;
    esac
done

[[ -s $ROWS ]] || die "no data point was measured"
TABLE=$WORK/table.md
{
    echo "### $(machine_line)"
    echo
    echo "Command: \`POINT_SECONDS=$POINT_SECONDS SESSIONS=$SESSIONS RECIPIENTS=\"$RECIPIENTS\" TARGETS=\"$TARGETS\" bench/load/smtp.sh\`."
    echo "smtp-source with $SESSIONS parallel sessions, $SIZE-byte messages, sender@bench.test; kept-open is \`-d\`"
    echo "(one session sends message after message), reconnecting opens a session per message. Timed from"
    echo "smtp-source's start until smtp-sink has counted every message (end to end, Postfix's queue included);"
    echo "each point sized by a pilot run to about ${POINT_SECONDS} s; Floodgate warmed up with $WARMUP_MESSAGES messages first."
    echo "1 recipient: rcpt@sink.test (external); 50: Nrcpt@bench-internal.test (internal to the sender's client; bench/README.md says why)."
    echo "Ratios are to the limit (smtp-source → smtp-sink) in the same run. CPU per delivered message:"
    echo "smtp-source's (/usr/bin/time), smtp-sink's and Floodgate's (/proc, every thread) over the point;"
    echo "on cores all three share, × limit ≈ 1 / (1 + Floodgate ÷ (source + sink)), so a share ≤ 1.00 is × limit ≥ 0.5."
    echo
    python3 - "$ROWS" "$SESSIONS" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
limit = {(r[1], r[2]): float(r[7]) for r in rows if r[0] == "limit"}
ORDER = ["limit", "floodgate", "floodgate-mailkit", "floodgate-redis", "postfix+postfwd"]
print(f"| Path | Recipients | {sys.argv[2]} sessions | Messages sent | Delivered | Seconds | Messages/s | Recipients/s | × limit (messages) | × limit (recipients) | smtp-source alone, s | CPU µs/msg: smtp-source + smtp-sink | CPU µs/msg: Floodgate | Floodgate ÷ (source + sink) |")
print("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for r in sorted(rows, key=lambda r: (int(r[1]), r[2], ORDER.index(r[0]) if r[0] in ORDER else 9)):
    label, rcpts, mode, sent, delivered, src, e2e, rate, err = r[:9]
    cpu_source, cpu_sink, cpu_fg = (float(x) for x in (r[9:12] if len(r) >= 12 else ("0", "0", "0")))
    rate = float(rate)
    ref = limit.get((rcpts, mode))
    ratio = f"{rate / ref:.2f}" if ref else "–"
    flag = " (smtp-source error)" if err != "0" else ""
    others = cpu_source + cpu_sink
    fg = f"{cpu_fg:.0f}" if label.startswith("floodgate") else "–"
    share = f"{cpu_fg / others:.2f}" if label.startswith("floodgate") and others > 0 else "–"
    print(f"| {label}{flag} | {rcpts} | {mode} | {int(sent):,} | {int(delivered):,} | {float(e2e):.1f} | {rate:,.0f} | {rate * int(rcpts):,.0f} | {ratio} | {ratio} | {float(src):.1f} | {others:.0f} | {fg} | {share} |")
PY
    for note in "${NOTES[@]}"; do echo; echo "- $note"; done
} >"$TABLE"
cat "$TABLE"
if [[ -z ${NO_APPEND:-} ]]; then append_results "SMTP load" "$TABLE"; fi
