#!/usr/bin/env bash
# Runs the traffic simulator against the real gateway and prints its table (Markdown).
set -euo pipefail
cd "$(dirname "$0")/.."
report="${1:-$(mktemp)}"
FLOODGATE_SIMULATION_REPORT="$report" dotnet test tests/Floodgate.EndToEnd.Tests -c Release \
  --filter "FullyQualifiedName~SimulationTests" --verbosity quiet -nologo >&2
cat "$report"
