#!/usr/bin/env bash
# Build the one-folder app (dist/rnnviz/), run its self-test and a CLI command, then print
# the bundle's size and its start time to the main window's first paint (median of 3).
#
#     python -m pip install -e ".[packaging]"
#     scripts/build_and_check.sh               # RNNVIZ_DATA_DIR=... bundles the book's data sets
#     SKIP_BUILD=1 scripts/build_and_check.sh  # check the bundle already in dist/rnnviz/
#
# Cold starts drop the page cache first where that is allowed (root on Linux); otherwise
# they are printed as "page cache kept". Runs offscreen (QT_QPA_PLATFORM=offscreen).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
app=dist/rnnviz/rnnviz
# The user's settings and cache are neither read nor changed.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export XDG_CONFIG_HOME=$scratch/config RNNVIZ_CACHE_DIR=$scratch/cache

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    start=$(date +%s)
    python -m PyInstaller --noconfirm rnnviz.spec
    echo "build: $(( $(date +%s) - start )) s"
fi

# RNNVIZ_DATA_DIR only tells the build what to bundle: the app runs without it, so that
# `data list` shows whether the bundled copies are found ("bundled").
run() { env -u RNNVIZ_DATA_DIR "$app" "$@"; }
echo "== self-test of the frozen app"
run --self-test
echo "== $app data list"
run data list
if [ -f dist/rnnviz/_internal/d2l/timemachine.txt ]; then
    echo "== $app data info time-machine (bundled)"
    run data info time-machine --top 3
fi

size_mb=$(du -sm dist/rnnviz | cut -f1)
echo "bundle size: ${size_mb} MB (dist/rnnviz, $(find dist/rnnviz -type f | wc -l) files)"

python - "$app" <<'PY'
"""Process start to the first paint of the main window, in fresh processes."""
import os, statistics, subprocess, sys, time

app = sys.argv[1]
env = {**os.environ, "RNNVIZ_EXIT_AFTER_FIRST_PAINT": "1"}
env.pop("RNNVIZ_DATA_DIR", None)


def drop_page_cache() -> bool:
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as handle:
            handle.write("1\n")
        return True
    except OSError:
        return False


def start_seconds() -> tuple[float, bool]:
    started = time.time()
    out = subprocess.run([app], env=env, capture_output=True, text=True, timeout=300, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("first-paint "))
    _, stamp, torch = line.split()
    return float(stamp) - started, torch == "torch=True"


for label, cold in (("cold", True), ("warm", False)):
    runs, dropped, torch = [], True, False
    for _ in range(3):
        if cold:
            dropped &= drop_page_cache()
        seconds, loaded = start_seconds()
        runs.append(seconds)
        torch |= loaded
    note = "page cache dropped" if cold and dropped else "page cache kept" if cold else "after a start"
    print(f"{label} start to first paint: {statistics.median(runs):.2f} s median "
          f"(runs {', '.join(f'{r:.2f}' for r in runs)}; {note}; torch loaded before the paint: {torch})")
PY
