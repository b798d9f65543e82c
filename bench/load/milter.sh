#!/usr/bin/env bash
# SKELETON, not implemented yet (lower priority than smtp.sh and policy.sh).
#
# Milter load: a private Postfix (smtpd on a loopback port, relaying to smtp-sink, set up as in
# smtp.sh's start_postfix) fed by smtp-source three ways, in one run:
#   none       no milter: the Postfix relay alone, the reference for the ratios
#   floodgate  smtpd_milters = inet:127.0.0.1:<port>, `floodgate serve --milter 127.0.0.1:<port>`
#              (default 127.0.0.1:10041), milter_default_action = tempfail so a dead milter shows
#   rspamd     rspamd 3.4 (Debian package rspamd) with its proxy worker in milter mode
#              (worker-proxy.inc: milter = yes; bind_socket = 127.0.0.1:<port>; upstream local),
#              the ratelimit module (1000 per hour per authenticated user; dynamic multipliers set
#              to 1, NOTES.md) and fuzzy_check, its Redis a private redis-server on a free port
#              (--save '' --appendonly no); rspamd started with -c <private rspamd.conf> -f -u _rspamd.
# Same workload as smtp.sh (1 and 50 recipients x 5 KB, 20 sessions, kept open and reconnecting),
# timed end to end at smtp-sink, table appended under "## Milter load" with × none per row.
#
# To do: factor start_postfix/measure/run_point out of smtp.sh into lib.sh, then add
# `smtpd_milters` per mode; write the rspamd local.d files (worker-proxy.inc, ratelimit.conf,
# redis.conf, fuzzy_check.conf, options.inc with a private dbdir/rundir).
set -euo pipefail
echo "bench/load/milter.sh: not implemented yet (skeleton); see the comment at the top" >&2
exit 2
