#!/usr/bin/env bash
# Bounded memory: CONNECTIONS connections from one trusted address to `floodgate serve`, each one
# message of SIZE octets (a short text part and a base64 attachment), all in DATA at once and then
# streamed together (Floodgate.LoadGen smtp-bounds, the load of the end-to-end test
# tests/Floodgate.EndToEnd.Tests/Bounds/BoundedMemoryTests.cs). Serve relays to smtp-sink. Reports
# serve's VmRSS (idle, with every connection in DATA, peak) and VmHWM, the replies by code, the
# spool's peaks and octets written to its files (/metrics), and the wall time; then checks that
# serve still relays a small message and that the spool folder is empty. Appends a Markdown table
# to bench/RESULTS.md under "## Bounded memory".
#
# Environment: CONNECTIONS (2000), SIZE (30000000), MAX_SPOOL_BYTES (2147483648: the disk the run
# may use at once), MAX_MEMORY_BYTES (268435456, the default), MEMORY_THRESHOLD (1048576, the
# default), UPSTREAM_TIMEOUT (00:05:00; see below), RSS_LIMIT_MB (8192: the load stops when serve's
# VmRSS passes it, so a configuration that holds messages whole cannot take the machine),
# TIMEOUT (600 s for the load), RESULTS, NO_APPEND=1 to only print.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CONNECTIONS=${CONNECTIONS:-2000}
SIZE=${SIZE:-30000000}
MAX_SPOOL_BYTES=${MAX_SPOOL_BYTES:-2147483648}
MAX_MEMORY_BYTES=${MAX_MEMORY_BYTES:-268435456}
MEMORY_THRESHOLD=${MEMORY_THRESHOLD:-1048576}
# Upstream:Timeout is the deadline of a whole relay, content included: with both cores receiving
# 2,000 messages, a 30 MB one can take longer than the default 30 s to reach smtp-sink (451 4.4.2).
UPSTREAM_TIMEOUT=${UPSTREAM_TIMEOUT:-00:05:00}
RSS_LIMIT_MB=${RSS_LIMIT_MB:-8192}
TIMEOUT=${TIMEOUT:-600}
SMTP_SINK=/usr/sbin/smtp-sink

WORK=$(mktemp -d /tmp/floodgate-bounds.XXXXXX)
chmod 755 "$WORK"
cleanup() {
    stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in "$SMTP_SINK" python3 curl; do
    command -v "$tool" >/dev/null || die "$tool missing: apt-get install postfix curl python3 (bench/README.md)"
done
free_bytes=$(df --output=avail -B1 "$WORK" | tail -1)
((free_bytes > MAX_SPOOL_BYTES + 1073741824)) || die "$WORK has $((free_bytes >> 20)) MiB free; the spool may take $((MAX_SPOOL_BYTES >> 20)) MiB"

build_loadgen
build_floodgate || die "floodgate serve could not be built"
DATA=$WORK/data
seed_floodgate "$DATA" 0 0 || die "seeding the account database failed"

SINK_PORT=$(free_port)
"$SMTP_SINK" -u nobody -c "127.0.0.1:$SINK_PORT" 1024 >"$WORK/sink.out" 2>&1 &
BENCH_PIDS+=("$!")
wait_port "$SINK_PORT" || die "smtp-sink did not start"

# One recipient is under the detector's default of 5 tracked recipients: MinTrackedRecipients=1 has
# every message fingerprinted (a spooled one by MimeKit's persistent parser), so that is measured too.
# The detector's rules are off: 2,000 copies of one message from one sender are its very target.
export FLOODGATE_Smtp__MaxConnectionsPerAddress=$CONNECTIONS
export FLOODGATE_Smtp__MaxConnections=$((CONNECTIONS > 2000 ? CONNECTIONS : 2000))
export FLOODGATE_Spool__MaxSpoolBytes=$MAX_SPOOL_BYTES
export FLOODGATE_Spool__MaxMemoryBytes=$MAX_MEMORY_BYTES
export FLOODGATE_Spool__MemoryThreshold=$MEMORY_THRESHOLD
export FLOODGATE_Upstream__Timeout=$UPSTREAM_TIMEOUT
export FLOODGATE_Detection__MinTrackedRecipients=1
for rule in RepeatRule VolumeRule BaselineRule CampaignRule ReputationRule; do export "FLOODGATE_Detection__$rule=Off"; done
SMTP_PORT=$(free_port)
WEB_PORT=$(free_port)
start_floodgate "$DATA" "$SMTP_PORT" "$WEB_PORT" "$SINK_PORT" --policy 127.0.0.1:0 --milter 127.0.0.1:0 --lmtp 127.0.0.1:0 \
    || die "floodgate serve did not start"

loadgen() { timeout $((TIMEOUT + 60)) dotnet "$LOADGEN_DLL" smtp-bounds --target "127.0.0.1:$SMTP_PORT" --sender sender@bench.test "$@"; }
metric() { curl -fsS "http://127.0.0.1:$WEB_PORT/metrics" | awk -v name="$1" '$1 == name { printf "%.0f", $2 }'; }

# Idle: after one small message, so what the first one JITs and allocates is in the figure.
loadgen --connections 1 --size 5000 >"$WORK/warmup.json" || die "the warm-up message was not relayed: $(cat "$WORK/warmup.json")"
sleep 2

log "$CONNECTIONS connections x $SIZE octets"
set +e
loadgen --connections "$CONNECTIONS" --size "$SIZE" --server-pid "$FLOODGATE_PID" --timeout "$TIMEOUT" \
    --rss-limit-mb "$RSS_LIMIT_MB" >"$WORK/load.json"
load_status=$?
set -e
[[ -s $WORK/load.json ]] || die "the load generator printed nothing (exit $load_status)"
alive=yes
kill -0 "$FLOODGATE_PID" 2>/dev/null || alive=no
for name in floodgate_spool_memory_peak_bytes floodgate_spool_file_peak_bytes floodgate_spool_written_bytes_total floodgate_spool_refused_total; do
    echo "$name $(metric "$name" 2>/dev/null || echo 0)"
done >"$WORK/spool.txt"
after=$(loadgen --connections 1 --size 5000 2>/dev/null | python3 -c 'import json, sys; print(", ".join(json.load(sys.stdin)["replies"]))' 2>/dev/null || echo "no reply")
left=$(find "$DATA/spool" -type f | wc -l)

TABLE=$WORK/table.md
{
    echo "### $(machine_line)"
    echo
    echo "Command: \`CONNECTIONS=$CONNECTIONS SIZE=$SIZE MAX_SPOOL_BYTES=$MAX_SPOOL_BYTES MAX_MEMORY_BYTES=$MAX_MEMORY_BYTES MEMORY_THRESHOLD=$MEMORY_THRESHOLD bench/load/bounds.sh\`."
    echo "Floodgate.LoadGen smtp-bounds → \`floodgate serve\` (trusted 127.0.0.1/32, Spool:MaxSpoolBytes $MAX_SPOOL_BYTES,"
    echo "Spool:MaxMemoryBytes $MAX_MEMORY_BYTES, Spool:MemoryThreshold $MEMORY_THRESHOLD, Upstream:Timeout $UPSTREAM_TIMEOUT,"
    echo "Detection:MinTrackedRecipients 1, the detector's rules off) → smtp-sink. Each connection: EHLO, MAIL, one RCPT, DATA;"
    echo "when all $CONNECTIONS have their 354 they stream a $SIZE-octet multipart message (text part, base64 attachment) together."
    if ((MEMORY_THRESHOLD >= SIZE && MAX_MEMORY_BYTES >= CONNECTIONS * SIZE)); then
        echo "Spool:MemoryThreshold and MaxMemoryBytes hold every message whole in memory: the behaviour before the spool."
    fi
    echo
    python3 - "$WORK/load.json" "$WORK/spool.txt" "$alive" "$after" "$left" <<'PY'
import json, sys
load = json.load(open(sys.argv[1]))
spool = dict(l.split() for l in open(sys.argv[2]) if l.strip())
mib = lambda kib: f"{int(kib) / 1024:,.0f} MiB"
bytes_mib = lambda b: f"{int(b) / 1048576:,.0f} MiB"
replies = ", ".join(f"{k}: {v:,}" for k, v in sorted(load["replies"].items()))
rows = [
    ("serve VmRSS idle (after one small message)", mib(load["idleRssKilobytes"])),
    (f"serve VmRSS, {load['inData']:,} connections in DATA, no content yet", mib(load["inDataRssKilobytes"])),
    ("serve VmRSS peak (sampled every 50 ms) / VmHWM", f"{mib(load['peakRssKilobytes'])} / {mib(load['highWaterKilobytes'])}"),
    ("serve threads, most seen", str(load["peakThreads"])),
    ("replies by code", replies),
    ("spool: peak in memory / peak in files", f"{bytes_mib(spool['floodgate_spool_memory_peak_bytes'])} / {bytes_mib(spool['floodgate_spool_file_peak_bytes'])}"),
    ("spool: octets written to files / messages refused", f"{bytes_mib(spool['floodgate_spool_written_bytes_total'])} / {int(spool['floodgate_spool_refused_total']):,}"),
    ("sent by the clients", f"{load['octetsSent'] / 1e9:,.1f} GB"),
    ("wall time (first connect to last reply)", f"{load['seconds']:.1f} s (all in DATA after {load['allInDataSeconds']:.1f} s)"),
    ("afterwards: serve running / a small message / files left in the spool", f"{sys.argv[3]} / {sys.argv[4]} / {sys.argv[5]}"),
]
if load.get("stoppedAtRssLimitSeconds") is not None:
    rows.append(("STOPPED: VmRSS passed RSS_LIMIT_MB after", f"{load['stoppedAtRssLimitSeconds']} s"))
print("| What | Figure |")
print("|---|--:|")
for what, figure in rows:
    print(f"| {what} | {figure} |")
PY
} >"$TABLE"
cat "$TABLE"
if [[ -z ${NO_APPEND:-} ]]; then append_results "Bounded memory" "$TABLE"; fi
((load_status == 0)) || die "some connections ended in neither 250 nor 452 4.3.1 (see the replies above)"
