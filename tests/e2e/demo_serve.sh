#!/usr/bin/env bash
# End to end: build the full demo county, check it as a GeoPackage with ogrinfo (the oracle for
# the counts), serve it, and check /health against those counts and the demo's minimums.
# Usage: demo_serve.sh ONEMAP_BINARY SOURCE_DIR
set -euo pipefail
onemap=$1
src=$2
work=$(mktemp -d)
server=
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

cd "$src"
"$onemap" demo --out "$work/demo.gpkg" --end-date 2026-11-26 >"$work/demo.log" 2>&1 \
  || { cat "$work/demo.log"; fail "onemap demo failed"; }
tail -n 8 "$work/demo.log"

# ogrinfo: every layer present, in EPSG:4490, with its feature count.
info=$(ogrinfo -ro -so -al "$work/demo.gpkg")
declare -A counts
for layer in grids households enterprises incidents workers; do
  block=$(awk -v l="Layer name: $layer" '$0==l{on=1;next} /^Layer name: /{on=0} on' <<<"$info")
  [[ -n "$block" ]] || fail "ogrinfo does not list layer $layer"
  grep -q 'ID\["EPSG",4490\]' <<<"$block" || fail "layer $layer is not in EPSG:4490"
  counts[$layer]=$(sed -n 's/^Feature Count: //p' <<<"$block")
  echo "ogrinfo: $layer ${counts[$layer]} features, EPSG:4490"
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$onemap" serve --data "$work/demo.gpkg" --port "$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 600); do
  curl -fsS "http://127.0.0.1:$port/health" -o "$work/health.json" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; fail "server exited"; }
  sleep 0.1
done
[[ -s "$work/health.json" ]] || fail "no /health answer"
cat "$work/health.json"; echo

python3 - "$work/health.json" "${counts[grids]}" "${counts[households]}" \
  "${counts[enterprises]}" "${counts[incidents]}" "${counts[workers]}" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
names = ["grids", "households", "enterprises", "incidents", "workers"]
expected = dict(zip(names, map(int, sys.argv[2:])))
layers = h["layers"]
for n in names:
    assert layers[n] == expected[n], f"/health says {n}={layers[n]}, the GeoPackage has {expected[n]}"
minimum = {"grids": 500, "households": 100000, "enterprises": 5000, "incidents": 20000}
for n, m in minimum.items():
    assert layers[n] >= m, f"{n}: {layers[n]} < {m}"
assert h["grids_by_level"]["grid"] >= 500, h["grids_by_level"]
assert h["status"] == "ok"
print("health counts match the GeoPackage and the demo minimums")
PY

kill -TERM "$server"
for _ in $(seq 1 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server" 2>/dev/null; then fail "server did not stop on SIGTERM"; fi
wait "$server" || fail "server exit status $? after SIGTERM"
server=
echo "PASS"
