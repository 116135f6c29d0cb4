#!/usr/bin/env python3
"""The real window on a real X server: infermeter-dashboard under Xvfb (xvfb-run, the xcb
platform, not offscreen), as dashboard/README.md documents for machines without a display.

Writes the fixture results file, launches the dashboard on it with --screenshot (which opens
the Runs view, a run's detail and a comparison, renders every view to PNG and exits), and checks
the images. Then the failure modes a user meets first: a missing file and bad options give exit
code 2 and a message naming what was wrong.

Usage: dashboard_xvfb_test.py DASHBOARD MAKE_FIXTURE WORK_DIR
"""
import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys


def run(args, env):
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)


def main() -> int:
    dashboard, make_fixture, work = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "fixture.db"
    subprocess.run([make_fixture, str(db)], check=True, timeout=60)

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        runs = dict(connection.execute("SELECT name, id FROM runs ORDER BY id").fetchall())
        rows = connection.execute(
            "SELECT id, json_extract(labels, '$.hardware') FROM runs ORDER BY id").fetchall()
    h100 = [i for i, hardware in rows if hardware == "h100"]
    ascend = [i for i, hardware in rows if hardware == "ascend"]
    assert h100 and ascend, f"fixture lacks a hardware kind: {rows}"

    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # the real xcb platform, on Xvfb's display
    xvfb = ["xvfb-run", "-a", "-s", "-screen 0 1920x1200x24"]
    shots = work / "screenshots"
    result = run(xvfb + [dashboard, "--screenshot", str(shots), "--run", str(h100[0]),
                         "--compare", f"{h100[0]},{ascend[0]}", str(db)], env)
    assert result.returncode == 0, f"dashboard failed ({result.returncode}): {result.stderr}"
    files = sorted(shots.glob("*.png"))
    names = {f.stem for f in files}
    for expected in ("runs", "run-detail-over-time", "run-detail-latency", "compare-figures"):
        assert expected in names, f"no {expected}.png among {sorted(names)}"
    for f in files:
        header = f.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{f} is not a PNG"
        width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
        assert width >= 800 and height >= 600, f"{f}: {width}x{height}"
    print(f"{len(files)} screenshots from the real window in {shots} ({len(runs)} runs)")

    # A missing file: reported, exit 2, nothing created.
    missing = work / "missing.db"
    result = run(xvfb + [dashboard, "--screenshot", str(work / "none"), str(missing)], env)
    assert result.returncode == 2, result
    assert "missing.db" in result.stderr, result.stderr
    assert not missing.exists(), "the dashboard created the results file it was asked to read"

    # Bad options: named, exit 2, before any window (offscreen: no display needed to say so).
    offscreen = dict(env, QT_QPA_PLATFORM="offscreen")
    for args, words in ((["--theme", "purple"], "--theme"), (["--compare", "3"], "--compare"),
                        (["--run", "x"], "--run")):
        result = run([dashboard, *args, str(db)], offscreen)
        assert result.returncode == 2 and words in result.stderr, (args, result)
    print("missing file and bad options reported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
