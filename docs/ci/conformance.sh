#!/usr/bin/env bash
# Generic CI recipe: run the alpnlab conformance suite against your client and keep the report.
#   ALPNLAB=/path/to/alpnlab CLIENT_DESCRIPTION=/path/to/my-client.json BASELINE=/path/to/old/conformance-matrix.json \
#     docs/ci/conformance.sh
# Exit code: 0 when no required rule fails (warnings never fail), 1 when one does, 2 on a setup error.
set -euo pipefail
: "${ALPNLAB:?set ALPNLAB to the alpnlab checkout}"
: "${CLIENT_DESCRIPTION:?set CLIENT_DESCRIPTION to the process description of your client (JSON)}"
cd "$ALPNLAB"
endpoint=alpnlab-ats.iot.eu-west-1.alpnlab.test
getent hosts "$endpoint" >/dev/null || { echo "add '127.0.0.1 $endpoint' to /etc/hosts first" >&2; exit 2; }

# Allure draws its trend from the previous report's history: restore it where this run's report is written.
report=reports/target/conformance-report
if [ -n "${BASELINE:-}" ] && [ -d "$(dirname "$BASELINE")/allure-report/history" ]; then
  mkdir -p "$report/allure-report"
  rm -rf "$report/allure-report/history"
  cp -r "$(dirname "$BASELINE")/allure-report/history" "$report/allure-report/history"
fi

status=0
mvn -B verify -Pconformance -Dconformance.client="process:$CLIENT_DESCRIPTION" -Dconformance.allow-unsupported=true \
  ${BASELINE:+-Dalpnlab.baseline="$BASELINE"} || status=1
echo "report: $report (conformance-matrix.md, conformance-matrix.html, allure-report/index.html)"

if [ -n "${BASELINE:-}" ] && [ -f "$report/conformance-matrix.json" ]; then
  mvn -B -q -pl reports dependency:build-classpath -Dmdep.outputFile=/tmp/alpnlab-reports.cp
  java -cp "reports/target/classes:$(cat /tmp/alpnlab-reports.cp)" io.alpnlab.reports.ReportsCommand compare \
    "$BASELINE" "$report/conformance-matrix.json" || status=$?
fi
exit "$status"
