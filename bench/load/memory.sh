#!/usr/bin/env bash
# PLACEHOLDER, not implemented yet.
#
# Hot-state memory: start `floodgate serve` with 1,000,000 mailboxes active in the hot state
# (counters, sliding windows, mass-mail profiles) and read its RSS (/proc/PID/status VmRSS and
# VmHWM) before and after, reporting bytes per active mailbox.
#
# Needs from src (not there yet): a bulk way to create 1,000,000 mailboxes (one
# `floodgate mailbox add` per mailbox is a process start each: days), e.g. `mailbox import --file`;
# then activation through policy load: Floodgate.LoadGen policy --mailboxes 1000000 --recipients 1
# for as long as it takes every mailbox to be seen once (about 2,000,000 requests).
set -euo pipefail
echo "bench/load/memory.sh: placeholder, not implemented yet; see the comment at the top" >&2
exit 2
