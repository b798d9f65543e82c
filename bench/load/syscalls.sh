#!/usr/bin/env bash
# System calls per relayed message: a count that does not depend on the machine's load, to go with
# the timed figures of smtp.sh. smtp-source sends MESSAGES messages (1 recipient x SIZE bytes) over
# SESSIONS kept-open sessions to `floodgate serve`, which relays them to smtp-sink; `strace -f -c`
# counts the socket system calls of the Floodgate process meanwhile (all its threads). Two ways:
#   pipelined  Upstream:Pipelining on (the default): Floodgate's pipelined relay client
#   mailkit    Upstream:Pipelining=false: every message through MailKit
# Prints a Markdown table (per message: sends, receives, epoll waits, all counted calls).
#
# Environment: MESSAGES (20000), SESSIONS (20), SIZE (5120), WARMUP_MESSAGES (20000), MODES ("pipelined mailkit").
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MESSAGES=${MESSAGES:-20000}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-5120}
WARMUP_MESSAGES=${WARMUP_MESSAGES:-20000}
MODES=${MODES:-"pipelined mailkit"}
SMTP_SOURCE=/usr/sbin/smtp-source
SMTP_SINK=/usr/sbin/smtp-sink

for tool in "$SMTP_SOURCE" "$SMTP_SINK" strace python3 curl; do
    command -v "$tool" >/dev/null || die "$tool missing: apt-get install postfix strace"
done

WORK=$(mktemp -d /tmp/floodgate-syscalls.XXXXXX)
chmod 755 "$WORK"
trap 'stop_all; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

SINK_PORT=$(free_port)
"$SMTP_SINK" -u nobody "127.0.0.1:$SINK_PORT" 1024 >"$WORK/sink.out" 2>&1 &
BENCH_PIDS+=("$!")
wait_port "$SINK_PORT" || die "smtp-sink did not start"
build_floodgate || die "floodgate could not be built"
seed_floodgate "$WORK/data" 0 0 || die "seeding failed"

send() {
    "$SMTP_SOURCE" -d -s "$SESSIONS" -m "$1" -l "$SIZE" -f sender@bench.test -t rcpt@sink.test "127.0.0.1:$2"
}

ROWS=$WORK/rows.tsv
: >"$ROWS"
for mode in $MODES; do
    smtp=$(free_port)
    web=$(free_port)
    case $mode in
        pipelined) start_floodgate "$WORK/data" "$smtp" "$web" "$SINK_PORT" ;;
        mailkit) FLOODGATE_Upstream__Pipelining=false start_floodgate "$WORK/data" "$smtp" "$web" "$SINK_PORT" ;;
        *) die "unknown mode $mode" ;;
    esac || die "floodgate serve did not start ($mode)"
    log "$mode: warm-up, $WARMUP_MESSAGES messages"
    send "$WARMUP_MESSAGES" "$smtp"
    strace -f -c -qq -o "$WORK/$mode.strace" -e trace=sendto,sendmsg,write,writev,recvfrom,recvmsg,read,readv,epoll_wait,epoll_pwait \
        -p "$FLOODGATE_PID" &
    tracer=$!
    sleep 2
    log "$mode: $MESSAGES messages counted"
    send "$MESSAGES" "$smtp"
    kill -INT "$tracer"
    wait "$tracer" 2>/dev/null || true
    python3 - "$WORK/$mode.strace" "$mode" "$MESSAGES" >>"$ROWS" <<'PY'
import sys
calls = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) >= 5 and parts[-1].isidentifier() and parts[-1] != "total" and parts[3].isdigit():
        calls[parts[-1]] = int(parts[3])
n = int(sys.argv[3])
group = lambda names: sum(calls.get(c, 0) for c in names)
sends = group(["sendto", "sendmsg", "write", "writev"])
recvs = group(["recvfrom", "recvmsg", "read", "readv"])
waits = group(["epoll_wait", "epoll_pwait"])
print("\t".join([sys.argv[2], f"{sends / n:.2f}", f"{recvs / n:.2f}", f"{waits / n:.2f}", f"{sum(calls.values()) / n:.2f}"]))
PY
    stop_pid "$FLOODGATE_PID"
done

echo "### $(machine_line)"
echo
echo "Command: \`MESSAGES=$MESSAGES SESSIONS=$SESSIONS SIZE=$SIZE MODES=\"$MODES\" bench/load/syscalls.sh\`; smtp-source -d (kept-open),"
echo "1 recipient, after $WARMUP_MESSAGES warm-up messages; \`strace -f -c\` on every thread of \`floodgate serve\`."
echo
echo "| Relay client | Sends per message | Receives per message | epoll waits per message | All counted calls per message |"
echo "|---|--:|--:|--:|--:|"
while IFS=$'\t' read -r mode sends recvs waits all; do
    echo "| $mode | $sends | $recvs | $waits | $all |"
done <"$ROWS"
