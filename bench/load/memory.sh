#!/usr/bin/env bash
# Hot-state memory per active mailbox: an AccountDirectory and an InProcessCounterStore filled in
# process with CLIENTS x PER_CLIENT mailboxes (one domain per client), every mailbox active (one
# RecordSent each, so it, its domain and its client have windows). Reports bytes per mailbox from
# GC.GetTotalMemory(true) and RSS (bench/Floodgate.Benchmarks/HotStateMemory.cs) and appends the
# table to bench/RESULTS.md under "## Hot-state memory".
#
# In process rather than through `floodgate serve`: the state is the same objects, and activating
# 1,000,000 mailboxes through SMTP or policy load takes longer than the figure is worth here.
#
# Environment: CLIENTS (100000), PER_CLIENT (10), RESULTS, NO_APPEND=1 to only print.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CLIENTS=${CLIENTS:-100000}
PER_CLIENT=${PER_CLIENT:-10}
WORK=$(mktemp -d /tmp/floodgate-memory.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

log "building bench/Floodgate.Benchmarks"
dotnet build "$ROOT/bench/Floodgate.Benchmarks/Floodgate.Benchmarks.csproj" -c Release -nologo -v q >/dev/null \
    || die "dotnet build bench/Floodgate.Benchmarks"
TABLE=$WORK/table.md
{
    echo "### $(machine_line)"
    echo
    echo "Command: \`CLIENTS=$CLIENTS PER_CLIENT=$PER_CLIENT bench/load/memory.sh\` (runs \`dotnet bench/Floodgate.Benchmarks/bin/Release/net10.0/Floodgate.Benchmarks.dll hot-state $CLIENTS $PER_CLIENT\`)."
    echo
    timeout 600 dotnet "$ROOT/bench/Floodgate.Benchmarks/bin/Release/net10.0/Floodgate.Benchmarks.dll" hot-state "$CLIENTS" "$PER_CLIENT"
} >"$TABLE"
cat "$TABLE"
if [[ -z ${NO_APPEND:-} ]]; then append_results "Hot-state memory" "$TABLE"; fi
