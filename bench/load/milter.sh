#!/usr/bin/env bash
# Milter load: a private Postfix (smtpd on a loopback port, relaying to smtp-sink; lib.sh's
# start_postfix) fed by smtp-source, in one run, with the milter per mode:
#   none       no milter: the Postfix relay alone, the reference for the ratios
#   noop       (optional) a milter on Floodgate's library that reads every message and does nothing
#              (Floodgate.LoadGen noop-milter): the floor any milter that reads the message pays
#   noop-eom   (optional) the same with every step Postfix can leave out left out (noop-milter
#              --steps eom-only): only end of message is sent and answered
#   libmilter  (optional) a no-op milter on Sendmail's libmilter (bench/load/libmilter-noop.c, built
#              here with gcc; Debian package libmilter-dev), asking for the same steps as Floodgate's
#              milter and noop: whether the library is part of what a reading milter pays
#   libmilter-eom (optional) the same with every step left out (-s eom-only): what Postfix's milter
#              client costs per message even for a milter that reads nothing, the floor of any milter
#   floodgate  smtpd_milters = inet:127.0.0.1:<port> to `floodgate serve --milter 127.0.0.1:<port>`,
#              the milter the only door (PolicyDelegation off, so it enforces the cap and the rates,
#              counts, fingerprints and runs the mass-mail detector: every rule on), the plan of
#              lib.sh's seed_floodgate (every window raised so none fires, all evaluated).
#              smtp-source sends without AUTH, so the milter names the mailbox from the envelope
#              sender ({mail_addr}) of a trusted client (Milter:TrustedNetworks = 127.0.0.1/32).
#   floodgate-both (optional, best last) both Postfix doors as the README's main.cf has them:
#              check_policy_service (RCPT and END-OF-MESSAGE) and smtpd_milters to one `floodgate serve`
#              with policy delegation and the milter; the milter inspects only and, in builds that
#              have it, asks Postfix not to wait for its MAIL and RCPT replies (SMFIP_NR_MAIL/NR_RCPT)
#   rspamd     rspamd 3.4 (Debian package) with its proxy worker in milter mode, the ratelimit
#              module (per authenticated user and per envelope sender, the same windows raised the
#              same way, dynamic multipliers 1, allow_local since the client is 127.0.0.1) and
#              fuzzy_check against a local fuzzy storage worker; its Redis a private redis-server on
#              a free port (--save '' --appendonly no); private config, db, run and log dirs.
# Postfix has milter_default_action = tempfail in every milter mode, so a dead milter shows as
# refusals; before the timed points each milter is checked to act (its header on a sunk message)
# and a milter port with nothing behind it is checked to refuse (the check_* lines of the log).
# Same workload as smtp.sh: 1 and 50 recipients x 5 KB, 20 sessions, kept open and reconnecting,
# timed end to end at smtp-sink (Postfix queues before it delivers). Appends a Markdown table
# under "## Milter load" in bench/RESULTS.md, with x none and x rspamd per row.
#
# Environment: POINT_SECONDS (12), SESSIONS (20), SIZE (5120), RECIPIENTS ("1 50"),
# MODES ("none floodgate floodgate-nospin rspamd"; also noop, noop-eom, libmilter, libmilter-eom; floodgate-nospin, after floodgate, restarts it with
# DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0), WARMUP_MESSAGES (each milter's warm-up through
# Postfix, 20000: as smtp.sh, past tiered PGO's re-compiles), RSPAMD_LOG_LEVEL (warning), RESULTS, NO_APPEND=1 to only print,
# LIBMILTER_NAGLE=1 to leave Nagle on in the libmilter modes as stock libmilter does (by default they
# set TCP_NODELAY as Floodgate does: libmilter's two small end-of-message writes otherwise wait for a
# delayed ACK, 44 ms a message; see libmilter-noop.c), KEEP_RUNNING=1 to leave everything up after the checks until Enter is pressed;
# PROFILE=DIR to record `perf record -g` of floodgate serve (JIT symbols through
# DOTNET_PerfMapEnabled) for PERF_SECONDS (8) at the start of Floodgate's points, into DIR/perf.data.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

POINT_SECONDS=${POINT_SECONDS:-12}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-5120}
RECIPIENTS=${RECIPIENTS:-"1 50"}
MODES=${MODES:-"none floodgate floodgate-nospin rspamd"}
WARMUP_MESSAGES=${WARMUP_MESSAGES:-20000}
RSPAMD_LOG_LEVEL=${RSPAMD_LOG_LEVEL:-warning}
SMTP_SOURCE=/usr/sbin/smtp-source
SMTP_SINK=/usr/sbin/smtp-sink

LOADAVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /tmp/floodgate-milter.XXXXXX)
chmod 755 "$WORK"
cleanup() {
    stop_postfix
    stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tools=("$SMTP_SOURCE" "$SMTP_SINK" python3 curl)
# rspamd and its Redis only when that mode runs.
[[ " $MODES " == *" rspamd "* ]] && tools+=(rspamd redis-server)
for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null || die "$tool missing: apt-get install postfix rspamd redis-server (see NOTES.md for a quiet install)"
done

# One smtp-sink for the whole run; -c makes it print "sess=N quit=N mesg=N" counters. The first
# messages of each mode are also dumped whole (-D) so the check can read the milter's header.
SINK_PORT=$(free_port)
mkdir -p "$WORK/sunk"
chmod 777 "$WORK/sunk"
"$SMTP_SINK" -u nobody -c -D "$WORK/sunk/%M" "127.0.0.1:$SINK_PORT" 1024 >"$WORK/sink.out" 2>&1 &
BENCH_PIDS+=("$!")
wait_port "$SINK_PORT" || die "smtp-sink did not start"
ROWS=$WORK/rows.tsv
: >"$ROWS"
NOTES=()

MILTER_CF="milter_protocol = 6
milter_default_action = tempfail
milter_connect_timeout = 10s
milter_command_timeout = 10s
milter_content_timeout = 60s
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}"

# use_milter ADDRESS: points the running Postfix's smtpd at a milter ("" for none).
use_milter() {
    postconf -c "$POSTFIX_DIR" -e "smtpd_milters = ${1:+inet:$1}" "non_smtpd_milters ="
    postfix -c "$POSTFIX_DIR" reload >/dev/null 2>&1
    # Reload is asynchronous: smtpd processes still open keep the old setting until they exit.
    sleep 2
}

# use_policy ADDRESS: check_policy_service at RCPT and END-OF-MESSAGE, as the README's main.cf has it
# ("" for none). With it the milter beside it only inspects (Milter:CountInWindows false).
use_policy() {
    if [[ -n $1 ]]; then
        postconf -c "$POSTFIX_DIR" -e "smtpd_recipient_restrictions = check_policy_service inet:$1, permit_mynetworks, reject" \
            "smtpd_end_of_data_restrictions = check_policy_service inet:$1" "smtpd_policy_service_default_action = 451 4.3.5 Policy service unavailable"
    else
        postconf -c "$POSTFIX_DIR" -e "smtpd_recipient_restrictions =" "smtpd_end_of_data_restrictions ="
    fi
    postfix -c "$POSTFIX_DIR" reload >/dev/null 2>&1
    sleep 2
}

# one_message TAG: sends one 1-recipient message through Postfix; prints smtp-source's errors.
one_message() {
    "$SMTP_SOURCE" -m 1 -s 1 -l "$SIZE" -f sender@bench.test -t "rcpt@sink.test" -S "check-$1" \
        "127.0.0.1:$POSTFIX_PORT" 2>&1 || true
}

# check_acts MODE HEADER-REGEX: a message sent through Postfix now reaches smtp-sink carrying HEADER.
check_acts() {
    local mode=$1 header=$2 before file
    before=$(sink_count)
    rm -f "$WORK/sunk/"*
    one_message "$mode" >/dev/null
    wait_delivered $((before + 1)) >/dev/null || die "$mode: the check message was not delivered"
    sleep 0.2
    file=$(grep -l "check-$mode" "$WORK/sunk/"* 2>/dev/null | head -1 || true)
    [[ -n $file ]] || die "$mode: the check message is not among the dumped messages"
    if ! grep -qiE "^$header" "$file"; then
        log "$mode: no $header header on the delivered message:"; head -30 "$file" >&2
        die "$mode: the milter did not act"
    fi
    log "check $mode: the delivered message carries $(grep -iE -m1 "^$header" "$file" | tr -d '\r')"
    NOTES+=("Check, $mode: a message relayed through Postfix reached smtp-sink with \`$(grep -iE -m1 "^$header" "$file" | tr -d '\r')\`.")
    rm -f "$WORK/sunk/"*
}

# check_dead_milter: with smtpd_milters at a port nobody listens on, Postfix refuses (tempfail).
check_dead_milter() {
    local dead before out
    dead=$(free_port)
    use_milter "127.0.0.1:$dead"
    before=$(sink_count)
    out=$(one_message dead)
    sleep 1
    if [[ $(sink_count) != "$before" ]] || ! grep -q '451' <<<"$out"; then
        log "dead milter: smtp-source said: $out"
        die "a dead milter did not show as refusals (milter_default_action)"
    fi
    log "check dead milter: $(grep -m1 451 <<<"$out")"
    NOTES+=("Check, dead milter (smtpd_milters at a port nobody listens on): Postfix refused, smtp-source saw \`$(grep -m1 -o '451.*' <<<"$out" | tr -d '\r' | cut -c1-80)\`, nothing reached smtp-sink.")
}

# --- Floodgate -----------------------------------------------------------------------------

start_floodgate_milter() {
    build_floodgate || return 1
    seed_floodgate "$WORK/floodgate-data" 0 0 || { log "seeding the Floodgate account database failed"; return 1; }
    start_floodgate_milter_process
}

# Both Postfix doors, as the README recommends: policy delegation enforces RCPT and counts, the
# milter inspects (and is not waited for at MAIL and RCPT where the build supports it).
start_floodgate_both_process() {
    local data=$WORK/floodgate-data smtp web
    FLOODGATE_MILTER_PORT=$(free_port)
    FLOODGATE_POLICY_PORT=$(free_port)
    smtp=$(free_port)
    web=$(free_port)
    FLOODGATE_PolicyDelegation__TrustedNetworks__0=127.0.0.1/32 FLOODGATE_Milter__TrustedNetworks__0=127.0.0.1/32 \
        start_floodgate "$data" "$smtp" "$web" "$SINK_PORT" --milter "127.0.0.1:$FLOODGATE_MILTER_PORT" --policy "127.0.0.1:$FLOODGATE_POLICY_PORT"
    wait_port "$FLOODGATE_MILTER_PORT" 30 && wait_port "$FLOODGATE_POLICY_PORT" 30
}

start_floodgate_milter_process() {
    local data=$WORK/floodgate-data smtp web
    FLOODGATE_MILTER_PORT=$(free_port)
    smtp=$(free_port)
    web=$(free_port)
    # The milter is the only door (no policy delegation), so it enforces and counts; the envelope
    # sender names the mailbox for Postfix's own address (trusted, as a provider's MTA is).
    if [[ -n ${PROFILE:-} ]]; then export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0; fi
    FLOODGATE_PolicyDelegation__Enabled=false FLOODGATE_Milter__TrustedNetworks__0=127.0.0.1/32 \
        start_floodgate "$data" "$smtp" "$web" "$SINK_PORT" --milter "127.0.0.1:$FLOODGATE_MILTER_PORT"
    wait_port "$FLOODGATE_MILTER_PORT" 30
}

# The milter floor: a milter on Floodgate's library that reads each message and does nothing
# (Floodgate.LoadGen noop-milter); what it costs beside "none" is what any reading milter pays.
# start_noop_milter STEPS (same | eom-only): sets NOOP_MILTER_PORT or NOOP_EOM_MILTER_PORT.
start_noop_milter() {
    local steps=$1 port
    [[ -n ${LOADGEN_BUILT:-} ]] || { build_loadgen && LOADGEN_BUILT=1; } || return 1
    port=$(free_port)
    dotnet "$LOADGEN_DLL" noop-milter --listen "127.0.0.1:$port" --steps "$steps" >"$WORK/noop-milter-$steps.out" 2>&1 &
    BENCH_PIDS+=("$!")
    if [[ $steps == same ]]; then NOOP_MILTER_PORT=$port; else NOOP_EOM_MILTER_PORT=$port; fi
    wait_port "$port" 30
}

# The same floor on Sendmail's libmilter (bench/load/libmilter-noop.c): tells whether Floodgate's
# milter library is part of it. Built once per run into $WORK.
build_libmilter_noop() {
    [[ -x $WORK/libmilter-noop ]] && return 0
    command -v gcc >/dev/null || die "gcc missing: apt-get install gcc libmilter-dev"
    [[ -f /usr/include/libmilter/mfapi.h ]] || die "libmilter's header <libmilter/mfapi.h> missing: apt-get install libmilter-dev"
    gcc -O2 -o "$WORK/libmilter-noop" "$ROOT/bench/load/libmilter-noop.c" -lmilter -pthread >"$WORK/libmilter-build.log" 2>&1 \
        || die "gcc bench/load/libmilter-noop.c failed (library missing? apt-get install libmilter-dev): $(tail -5 "$WORK/libmilter-build.log")"
}

# start_libmilter_noop STEPS (same | eom-only): sets LIBMILTER_PORT or LIBMILTER_EOM_PORT.
start_libmilter_noop() {
    local steps=$1 port
    build_libmilter_noop
    port=$(free_port)
    "$WORK/libmilter-noop" -p "inet:$port@127.0.0.1" -s "$steps" ${LIBMILTER_NAGLE:+-N} >"$WORK/libmilter-$steps.out" 2>&1 &
    BENCH_PIDS+=("$!")
    if [[ $steps == same ]]; then LIBMILTER_PORT=$port; else LIBMILTER_EOM_PORT=$port; fi
    wait_port "$port" 30
}

# --- rspamd --------------------------------------------------------------------------------

start_redis() {
    REDIS_PORT=$(free_port)
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize no \
        --dir "$WORK" --logfile "$WORK/redis.log" &
    BENCH_PIDS+=("$!")
    wait_port "$REDIS_PORT" 20
}

start_rspamd() {
    local dir=$WORK/rspamd normal controller fuzzy
    RSPAMD_MILTER_PORT=$(free_port)
    normal=$(free_port)
    controller=$(free_port)
    RSPAMD_NORMAL_PORT=$normal
    RSPAMD_CONTROLLER_PORT=$controller
    fuzzy=$(free_port)
    mkdir -p "$dir/local.d" "$dir/override.d" "$dir/db" "$dir/run" "$dir/log"
    cat >"$dir/local.d/redis.conf" <<EOF
servers = "127.0.0.1:$REDIS_PORT";
EOF
    cat >"$dir/local.d/logging.inc" <<EOF
type = "file";
filename = "$dir/log/rspamd.log";
level = "$RSPAMD_LOG_LEVEL";
EOF
    # One scanner per core, as rspamd's documentation advises (the stock file leaves one).
    cat >"$dir/local.d/worker-normal.inc" <<EOF
bind_socket = "127.0.0.1:$normal";
count = $(nproc);
EOF
    # This machine has no outside DNS: the DNS-list modules would only wait for timeouts (seconds
    # per message, URIBL on smtp-source's Message-ID host). Off, as they are not part of the
    # comparison; everything else of the stock configuration stays on.
    for module in rbl surbl emails; do echo "enabled = false;" >"$dir/local.d/$module.conf"; done
    cat >"$dir/local.d/worker-controller.inc" <<EOF
bind_socket = "127.0.0.1:$controller";
EOF
    cat >"$dir/override.d/worker-proxy.inc" <<EOF
milter = yes;
timeout = 120s;
bind_socket = "127.0.0.1:$RSPAMD_MILTER_PORT";
upstream "local" {
  default = yes;
  hosts = "127.0.0.1:$normal";
}
count = 1;
spam_header = "X-Spam";
EOF
    cat >"$dir/local.d/worker-fuzzy.inc" <<EOF
bind_socket = "127.0.0.1:$fuzzy";
count = 1;
# Updates are written in batches every sync interval (60 s by default): 1 s lets the check see its hash.
sync = 1s;
backend = "redis";
servers = "127.0.0.1:$REDIS_PORT";
allow_update = ["127.0.0.1"];
EOF
    # Only the local storage (the stock rule asks fuzzy1.rspamd.com, not reachable here).
    cat >"$dir/override.d/fuzzy_check.conf" <<EOF
min_bytes = 1k;
timeout = 2s;
retransmits = 1;
rule "local" {
  algorithm = "mumhash";
  servers = "127.0.0.1:$fuzzy";
  symbol = "LOCAL_FUZZY_UNKNOWN";
  mime_types = ["*"];
  max_score = 20.0;
  read_only = no;
  skip_unknown = yes;
  short_text_direct_hash = true;
  min_length = 64;
  fuzzy_map = {
    LOCAL_FUZZY_DENIED { max_score = 20.0; flag = 11; }
  }
}
EOF
    # The same rule set as Floodgate's plan: per login and per sender, every window so large that
    # none fires while each is evaluated (lib.sh FLOODGATE_BENCH_LIMITS); fixed, not dynamic.
    cat >"$dir/local.d/ratelimit.conf" <<EOF
allow_local = true;
max_rate_mult = 1;
max_bucket_mult = 1;
rates {
  bench_user {
    selector = "user.lower";
    bucket = { burst = 100000000; rate = "100000000 / 1h"; }
  }
  bench_sender {
    selector = "from('smtp'):addr.lower";
    bucket = { burst = 100000000; rate = "100000000 / 1h"; }
  }
}
EOF
    # X-Spam-Status on every message, local and authenticated ones too (the stock config skips them).
    cat >"$dir/local.d/milter_headers.conf" <<EOF
use = ["x-spam-status"];
skip_local = false;
skip_authenticated = false;
EOF
    chown -R _rspamd:_rspamd "$dir"
    rspamd -f -u _rspamd -g _rspamd -c /etc/rspamd/rspamd.conf --var "LOCAL_CONFDIR=$dir" \
        --var "DBDIR=$dir/db" --var "RUNDIR=$dir/run" --var "LOGDIR=$dir/log" -p "$dir/run/rspamd.pid" \
        >"$WORK/rspamd.out" 2>&1 &
    RSPAMD_PID=$!
    BENCH_PIDS+=("$RSPAMD_PID")
    wait_port "$RSPAMD_MILTER_PORT" 60 && wait_port "$normal" 60
}

# check_rspamd_modules: fuzzy_check asks the local storage (a hash added through the controller
# is found, then removed again) and ratelimit keeps its buckets in the private Redis.
check_rspamd_modules() {
    local sample=$WORK/fuzzy-sample.eml found buckets
    {
        printf 'From: sender@bench.test\r\nTo: rcpt@sink.test\r\nSubject: fuzzy check\r\n\r\n'
        for i in $(seq 200); do printf 'Fuzzy check line %d of a sample that only this check sends.\r\n' "$i"; done
    } >"$sample"
    rspamc -h "127.0.0.1:$RSPAMD_CONTROLLER_PORT" -f 11 -w 10 fuzzy_add "$sample" >/dev/null
    for _ in $(seq 15); do
        sleep 1
        found=$(rspamc -h "127.0.0.1:$RSPAMD_NORMAL_PORT" --ip 127.0.0.1 -F sender@bench.test "$sample" | grep -o 'LOCAL_FUZZY_DENIED[^ ]*' || true)
        [[ -z $found ]] || break
    done
    rspamc -h "127.0.0.1:$RSPAMD_CONTROLLER_PORT" -f 11 fuzzy_del "$sample" >/dev/null
    [[ -n $found ]] || die "rspamd: a hash added to the local fuzzy storage was not found (fuzzy_check not acting)"
    buckets=$(redis-cli -p "$REDIS_PORT" --scan --pattern 'RL*' | wc -l)
    ((buckets > 0)) || die "rspamd: no ratelimit bucket in Redis after the warm-up (ratelimit not acting)"
    log "check rspamd modules: fuzzy_check found $found; $buckets ratelimit bucket(s) in Redis"
    NOTES+=("Check, rspamd modules: a hash added to the local fuzzy storage was found (\`$found\`, then removed); after the warm-up Redis held $buckets ratelimit bucket(s).")
}

# --- the run -------------------------------------------------------------------------------

POSTFIX_EXTRA_CF=$MILTER_CF
start_postfix || die "the private Postfix did not start"
check_dead_milter

# The milters start before any point, so all modes run with the same processes resident.
for mode in $MODES; do
    case $mode in
        floodgate | floodgate-nospin | floodgate-both)
            [[ -n ${FLOODGATE_PID:-} ]] || start_floodgate_milter || die "floodgate serve --milter could not be built, seeded or started" ;;
        rspamd) { start_redis && start_rspamd; } || die "rspamd did not start: $(tail -5 "$WORK/rspamd.out")" ;;
        noop) start_noop_milter same || die "the no-op milter did not start: $(tail -5 "$WORK/noop-milter-same.out")" ;;
        noop-eom) start_noop_milter eom-only || die "the eom-only no-op milter did not start: $(tail -5 "$WORK/noop-milter-eom-only.out")" ;;
        libmilter) start_libmilter_noop same || die "the libmilter no-op milter did not start: $(tail -5 "$WORK/libmilter-same.out")" ;;
        libmilter-eom) start_libmilter_noop eom-only || die "the eom-only libmilter no-op milter did not start: $(tail -5 "$WORK/libmilter-eom-only.out")" ;;
    esac
done

for mode in $MODES; do
    if [[ $mode != floodgate-both && -n ${POLICY_SET:-} ]]; then use_policy ""; POLICY_SET=; fi
    case $mode in
        none) use_milter "" ;;
        floodgate-both)
            stop_pid "$FLOODGATE_PID"
            start_floodgate_both_process || die "floodgate serve with both doors did not start"
            use_policy "127.0.0.1:$FLOODGATE_POLICY_PORT"
            POLICY_SET=1
            use_milter "127.0.0.1:$FLOODGATE_MILTER_PORT"
            check_acts floodgate-both "X-Floodgate-Verdict:" ;;
        floodgate)
            use_milter "127.0.0.1:$FLOODGATE_MILTER_PORT"
            check_acts floodgate "X-Floodgate-Verdict:" ;;
        floodgate-nospin)
            # The same, restarted with the thread pool's spin-wait for work off (a runtime setting
            # under evaluation: the profile shows idle workers spinning in sched_yield).
            stop_pid "$FLOODGATE_PID"
            DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 start_floodgate_milter_process || die "floodgate serve did not restart"
            use_milter "127.0.0.1:$FLOODGATE_MILTER_PORT"
            check_acts floodgate-nospin "X-Floodgate-Verdict:" ;;
        rspamd)
            use_milter "127.0.0.1:$RSPAMD_MILTER_PORT"
            check_acts rspamd "X-Spam-Status:" ;;
        noop)
            use_milter "127.0.0.1:$NOOP_MILTER_PORT"
            check_acts noop "X-Noop-Milter:" ;;
        noop-eom)
            use_milter "127.0.0.1:$NOOP_EOM_MILTER_PORT"
            check_acts noop-eom "X-Noop-Milter:" ;;
        libmilter)
            use_milter "127.0.0.1:$LIBMILTER_PORT"
            check_acts libmilter "X-Libmilter-Noop:" ;;
        libmilter-eom)
            use_milter "127.0.0.1:$LIBMILTER_EOM_PORT"
            check_acts libmilter-eom "X-Libmilter-Noop:" ;;
        *) die "unknown mode $mode" ;;
    esac
    if [[ $mode != none ]]; then
        log "$mode: warm-up, $WARMUP_MESSAGES messages (not measured)"
        measure "$mode-warmup" "$POSTFIX_PORT" 1 kept-open "$WARMUP_MESSAGES"
    fi
    if [[ $mode == rspamd ]]; then check_rspamd_modules; fi
    if [[ -n ${KEEP_RUNNING:-} ]]; then
        log "KEEP_RUNNING: Postfix on 127.0.0.1:$POSTFIX_PORT with the $mode milter; Enter continues"
        read -r _
    fi
    if [[ -n ${PROFILE:-} && $mode == floodgate ]]; then
        mkdir -p "$PROFILE"
        perf record -F 999 -g -p "$FLOODGATE_PID" -o "$PROFILE/perf.data" -- sleep "${PERF_SECONDS:-8}" >"$PROFILE/perf-record.log" 2>&1 &
    fi
    run_target "$mode" "$POSTFIX_PORT"
done

[[ -s $ROWS ]] || die "no data point was measured"
TABLE=$WORK/table.md
{
    echo "### $(machine_line)"
    echo
    echo "Command: \`flock /tmp/floodgate-bench.lock bench/load/milter.sh\` (POINT_SECONDS=$POINT_SECONDS SESSIONS=$SESSIONS RECIPIENTS=\"$RECIPIENTS\" MODES=\"$MODES\" WARMUP_MESSAGES=$WARMUP_MESSAGES); load average before: $LOADAVG_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "smtp-source → private Postfix (smtpd_milters per mode, milter_default_action = tempfail) → smtp-sink;"
    echo "$SESSIONS parallel sessions, $SIZE-byte messages from sender@bench.test, no AUTH; kept-open is \`-d\`, reconnecting"
    echo "opens a session per message. Timed from smtp-source's start until smtp-sink has counted every message;"
    echo "each point sized by a pilot run to about ${POINT_SECONDS} s; each milter warmed up with $WARMUP_MESSAGES messages first."
    echo "floodgate: \`floodgate serve --milter\`, the only door (every rule on, windows raised so none fires);"
    echo "rspamd: rspamd $(rspamd --version 2>&1 | grep -o '[0-9][0-9.]*' | head -1), stock config + proxy in milter mode, ratelimit (user, sender; same raised windows),"
    echo "fuzzy_check on a local fuzzy storage, private Redis, log level $RSPAMD_LOG_LEVEL."
    echo "noop, noop-eom: Floodgate.LoadGen noop-milter on Floodgate's milter library; libmilter, libmilter-eom: bench/load/libmilter-noop.c"
    echo "on Sendmail's libmilter ($(dpkg-query -W -f '${Version}' libmilter-dev 2>/dev/null || echo 'version unknown'), $([[ -n ${LIBMILTER_NAGLE:-} ]] && echo 'Nagle on as stock' || echo 'TCP_NODELAY as Floodgate')); noop and libmilter ask for the steps Floodgate's milter asks for,"
    echo "the -eom ones leave out every step Postfix can leave out (only end of message is sent and answered); each adds one header."
    echo
    python3 - "$ROWS" "$SESSIONS" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
ref = lambda name: {(r[1], r[2]): float(r[7]) for r in rows if r[0] == name}
none, rspamd = ref("none"), ref("rspamd")
order = ["none", "libmilter-eom", "noop-eom", "libmilter", "noop", "floodgate", "floodgate-nospin", "rspamd"]
print(f"| Milter | Recipients | {sys.argv[2]} sessions | Messages sent | Delivered | Seconds | Messages/s | Recipients/s | × none | × rspamd | smtp-source alone, s |")
print("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|")
for r in sorted(rows, key=lambda r: (int(r[1]), r[2], order.index(r[0]) if r[0] in order else 9)):
    label, rcpts, mode, sent, delivered, src, e2e, rate, err = r[:9]
    rate = float(rate)
    ratio = lambda table: f"{rate / table[(rcpts, mode)]:.2f}" if table.get((rcpts, mode)) else "–"
    flag = " (smtp-source error)" if err != "0" else ""
    print(f"| {label}{flag} | {rcpts} | {mode} | {int(sent):,} | {int(delivered):,} | {float(e2e):.1f} | {rate:,.0f} | {rate * int(rcpts):,.0f} | {ratio(none)} | {ratio(rspamd)} | {float(src):.1f} |")
PY
    for note in "${NOTES[@]}"; do echo; echo "- $note"; done
} >"$TABLE"
cat "$TABLE"
if [[ -z ${NO_APPEND:-} ]]; then append_results "Milter load" "$TABLE"; fi
