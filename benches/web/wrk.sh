#!/usr/bin/env bash
# Load-test onebudget's pages and API with wrk, against `onebudget demo`, and print wrk's
# figures (requests/s and the latency distribution, including p99).
#
#   benches/web/wrk.sh [DATABASE_URL]      # default: a fresh SQLite file
#
# It builds the release binary, builds the demo place into the database (if empty),
# starts the server, signs in as the demo citizen (cookie + CSRF as a browser does),
# issues a read-only token to the demo's council finance system, then runs wrk for
# DURATION seconds (default 15) with CONNECTIONS connections (default 32) on 2 threads:
#   1. GET /my-budget                 the citizen's record page (audited: one row each)
#   2. GET /api/balances?stream=BCF   JSON balances of one stream, with a bearer token
#   3. GET /my-budget/budget          the citizen's personal budget page (audited)
#   4. GET /api/people/P000032/budget a person's budget by API token (audited)
# ROUTES="3 4" runs only those.
# Needs wrk (Debian: apt-get install wrk) and curl. ONEBUDGET_BIN=PATH runs a binary built
# elsewhere instead of building this tree's (to compare two builds in one sitting).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
duration=${DURATION:-15}
connections=${CONNECTIONS:-32}
work=$(mktemp -d)
url=${1:-sqlite://$work/bench.db}
port=${PORT:-18181}
if [ -n "${ONEBUDGET_BIN:-}" ]; then
  bin=$ONEBUDGET_BIN
else
  cargo build --release -q -p onebudget
  bin=target/release/onebudget
fi
"$bin" --database-url "$url" demo --no-serve
ONEBUDGET_LOG=warn "$bin" --database-url "$url" serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$port"
form=$(curl -s -c "$work/jar" "$base/sign-in")
csrf=$(grep -o 'name="csrf_token" value="[^"]*"' <<<"$form" | sed 's/.*value="//;s/"$//')
curl -s -b "$work/jar" -c "$work/jar" -o /dev/null \
  --data-urlencode username=citizen --data-urlencode password=demo-citizen \
  --data-urlencode "csrf_token=$csrf" "$base/sign-in"
session=$(awk '$6 == "onebudget_session" {print $7}' "$work/jar")
[ -n "$session" ] || { echo "could not sign in as the demo citizen"; exit 1; }
token=$("$bin" --database-url "$url" token issue --user council-finance-system --scopes ledger:read,people:read --days 1 2>/dev/null)
routes=${ROUTES:-1 2 3 4}
run() { case " $routes " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
echo "machine: $(nproc) cores; database: ${url%%://*}; wrk ${duration}s, $connections connections, 2 threads"
echo
if run 1; then
  echo "== GET /my-budget (signed in as the demo citizen)"
  wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Cookie: onebudget_session=$session" "$base/my-budget"
  echo
fi
if run 2; then
  echo "== GET /api/balances?stream=BCF (bearer token, ledger:read)"
  wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Authorization: Bearer $token" "$base/api/balances?stream=BCF"
  echo
fi
if run 3; then
  echo "== GET /my-budget/budget (signed in as the demo citizen)"
  wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Cookie: onebudget_session=$session" "$base/my-budget/budget"
  echo
fi
if run 4; then
  echo "== GET /api/people/P000032/budget (bearer token, people:read)"
  wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Authorization: Bearer $token" "$base/api/people/P000032/budget"
fi
