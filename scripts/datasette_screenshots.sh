#!/usr/bin/env bash
# The README's Datasette screenshots, taken anew: a demo database (scripts/demo_database.py),
# Datasette with the shipped datasette.yaml and plugins on a local port, headless Chromium.
#   pip install -e '.[datasette]' && apt-get install -y chromium fonts-noto-core
#   bash scripts/datasette_screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
PYTHONPATH=. python scripts/demo_database.py "$work/monitor.db"
port=8765
datasette "$work/monitor.db" -m datasette.yaml --plugins-dir datasette_plugins \
    -h 127.0.0.1 -p "$port" >"$work/datasette.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/-/versions.json" >/dev/null && break; sleep 0.2; done
shot() {  # file, window size, path
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/chromium" --hide-scrollbars --window-size="$2" \
        --virtual-time-budget=10000 --screenshot="docs/$1" "http://127.0.0.1:$port$3" 2>/dev/null
}
shot datasette-database.png 1280,1000 "/monitor"
shot datasette-map.png 1280,900 "/monitor/entity_places_map?entity=muqtada+al-sadr&days=30&_hide_sql=1"
shot datasette-timeline.png 1000,880 "/monitor/daily_mentions?_hide_sql=1#g.mark=line&g.x_column=day&g.x_type=temporal&g.y_column=articles&g.y_type=quantitative&g.color_column=entity&g.color_type=nominal"
# The chart an email digest carries, drawn from the same demo database.
PYTHONPATH=. python - "$work/monitor.db" <<'PY'
import sys
from datetime import UTC, datetime
from monitor.alerts.timeline import daily_actor_counts, render_png
from monitor.store import Store
with Store(sys.argv[1]) as store:
    chart = render_png(daily_actor_counts(store, datetime.now(UTC)))
open("docs/digest-timeline.png", "wb").write(chart)
PY
echo "wrote docs/datasette-*.png and docs/digest-timeline.png"
