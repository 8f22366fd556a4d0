#!/bin/sh
# Renders the README's alert email screenshots (docs/alert-email-en.png, -ar.png) from
# `monitor alert-preview --format html` in headless Chromium (apt-get install -y chromium
# fonts-noto-core). Run from the repository root with the package installed.
set -eu
out=$(mktemp -d)
profile=$(mktemp -d)
trap 'rm -rf "$out" "$profile"' EXIT
for example in en ar; do
    monitor alert-preview --example "$example" --format html > "$out/alert-$example.html"
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --disable-background-networking --disable-component-update --disable-sync \
        --no-first-run --user-data-dir="$profile" --window-size=900,500 \
        --screenshot="docs/alert-email-$example.png" "file://$out/alert-$example.html"
done
