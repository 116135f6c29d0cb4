#!/usr/bin/env python3
"""`infermeter report` end to end, viewed in a real browser (Debian's headless Chromium).

On the dashboard fixture (two like-for-like runs, 1 on H100 and 4 on Ascend):
- the HTML report stands alone: no scripts, no stylesheets or images fetched from anywhere; its
  charts are PNG data URIs that decode (Debian's python3-pil) at twice their shown size;
- its tables hold exactly what `infermeter compare --format markdown` computes, cell for cell,
  and one row per figure of `compare --format json`;
- Chromium renders it: the DOM it builds has both tables and every chart, and the screenshot
  shows table rules and section bands, and each run's line colour (read from the report's own
  legend swatches) drawn in the charts;
- `--format markdown` (or a .md name) writes the Markdown and every PNG it links beside it;
- runs that are not like for like are refused (exit 3) and an earlier report is left as it was.

Usage: report_html_test.py INFERMETER_BIN MAKE_FIXTURE_BIN WORK_DIR
Needs /usr/bin/python3 with python3-pil and python3-numpy, and chromium on PATH.
"""

import base64
import html.parser
import io
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image


def expect(condition, message, result=None):
    if not condition:
        details = ""
        if result is not None:
            details = f"\nexit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        raise AssertionError(message + details)
    print("ok ", message)


def run(*args, timeout=120):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)


class ReportParser(html.parser.HTMLParser):
    """Tags, images, and the text of every cell of the two comparison tables."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.images = []  # (alt, src, width, height)
        self.swatches = []  # "#rrggbb" per compared run, in column order
        self.tables = {}  # id -> rows, each a list of cell texts
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "img":
            self.images.append((a.get("alt"), a.get("src", ""), a.get("width"), a.get("height")))
        if tag == "span" and a.get("class") == "swatch":
            self.swatches.append(re.search(r"background:(#[0-9a-f]{6})", a["style"]).group(1))
        if tag == "table" and a.get("id") in ("key-figures", "all-figures"):
            self._table = self.tables.setdefault(a["id"], [])
        if self._table is not None and tag == "tr":
            self._row = []
        if self._row is not None and tag in ("td", "th"):
            self._cell = []
        if self._cell is not None and tag == "span" and "ratio" in a.get("class", ""):
            self._cell.append(" ")  # the ratio sits on its own line; Markdown writes <br>

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def markdown_rows(markdown):
    """The figure table of `compare --format markdown`: rows after the "| Figure |" header."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Figure |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append([" ".join(c.replace("<br>", " ").replace("\\|", "|").replace("**", "").split())
                     for c in cells])
    return rows


def check_html(binary, db, work, chromium):
    report = os.path.join(work, "report.html")
    result = run(binary, "report", "1", "4", "--db", db, "-o", report, "--title", "H100 <vs> 910B")
    expect(result.returncode == 0 and os.path.exists(report), "report writes report.html", result)
    text = open(report, encoding="utf-8").read()

    parser = ReportParser()
    parser.feed(text)
    tags = {t for t, _ in parser.tags}
    expect("script" not in tags and "link" not in tags and "iframe" not in tags,
           "no scripts, stylesheets or frames to load")
    external = [a for _, attrs in parser.tags for k, a in attrs.items()
                if k in ("src", "href") and a and not a.startswith("data:") and not a.startswith("#")]
    expect(not external, f"nothing fetched from elsewhere (found {external[:3]})")
    expect("url(" not in text and "@import" not in text, "the CSS fetches nothing")
    expect("<title>H100 &lt;vs&gt; 910B</title>" in text, "the title is escaped HTML")

    stems = ["Output throughput", "KV cache", "Time to first token: CDF",
             "Time per output token: CDF", "Inter-token latency: CDF", "End-to-end latency: CDF"]
    expect([alt for alt, _, _, _ in parser.images] == stems,
           f"the six charts in order (got {[alt for alt, _, _, _ in parser.images]})")
    for alt, src, width, height in parser.images:
        prefix = "data:image/png;base64,"
        expect(src.startswith(prefix), f"{alt}: a PNG data URI")
        png = Image.open(io.BytesIO(base64.b64decode(src[len(prefix):], validate=True)))
        png.load()
        expect(png.size == (2 * int(width), 2 * int(height)),
               f"{alt}: decodes at twice its shown size ({png.size})")
        pixels = np.asarray(png.convert("RGB")).reshape(-1, 3)
        expect(len(np.unique(pixels, axis=0)) > 20, f"{alt}: has content (not a blank image)")

    expect(len(parser.swatches) == 2, f"a colour swatch per run ({parser.swatches})")

    # The tables say what `compare` computes, cell for cell.
    md = run(binary, "compare", "1", "4", "--db", db, "--format", "markdown")
    js = run(binary, "compare", "1", "4", "--db", db, "--format", "json")
    expect(md.returncode == 0 and js.returncode == 0, "compare runs on the same runs", md)
    expected = markdown_rows(md.stdout)
    all_rows = parser.tables["all-figures"][1:]  # after the header row
    figure_rows = [r for r in all_rows if len(r) == 3]
    expect(len(figure_rows) == len(json.loads(js.stdout)["figures"]),
           f"all figures: one row per figure of compare's JSON ({len(figure_rows)})")
    expect(len(all_rows) == len(expected), f"all figures: as many rows as compare's Markdown "
           f"({len(all_rows)} vs {len(expected)})")
    # A section band is one cell in HTML and a row of empty cells in Markdown.
    mismatches = [(g, w) for g, w in zip(all_rows, expected)
                  if g != ([x for x in w if x] if len(g) == 1 else w)]
    expect(not mismatches, f"every cell equals compare's ({mismatches[:2]})")
    key = parser.tables["key-figures"][1:]
    expect(any(r[0].startswith("Output tokens/s") for r in key) and
           any(r[0].startswith("TTFT p99") for r in key) and len(key) < len(all_rows),
           "key figures: a short table with throughput and TTFT p99 first")

    # A real browser renders it.
    dom = run(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
              "file://" + report)
    expect(dom.returncode == 0, "chromium loads the report", dom)
    expect(dom.stdout.count("<img") == 6 and 'id="all-figures"' in dom.stdout
           and 'id="key-figures"' in dom.stdout, "chromium's DOM has both tables and six charts")
    shot = os.path.join(work, "report.png")
    result = run(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 "--window-size=1300,3000", f"--screenshot={shot}", "file://" + report)
    expect(result.returncode == 0 and os.path.exists(shot), "chromium takes a screenshot", result)
    image = np.asarray(Image.open(shot).convert("RGB")).astype(int)

    def rgb(hex_colour):
        return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])

    def near(colour, tolerance=30):
        return np.abs(image - rgb(colour)).sum(axis=2) <= tolerance

    # Table rules (#d0d0d0) run across the table: many rows of the screenshot hold long runs.
    rule_rows = int((near("#d0d0d0", 6).sum(axis=1) > 400).sum())
    expect(rule_rows >= 15, f"the screenshot shows the tables' rules ({rule_rows} rule rows)")
    bands = int((near("#dde3ea", 6).sum(axis=1) > 400).sum())
    expect(bands >= 10, f"the screenshot shows the tables' section bands ({bands} pixel rows)")
    for i, colour in enumerate(parser.swatches):
        drawn = int(near(colour).sum())
        expect(drawn > 1500, f"run {i + 1}'s line colour {colour} is drawn ({drawn} pixels)")
    return report


def check_markdown(binary, db, work):
    target = os.path.join(work, "md", "cmp.md")
    os.makedirs(os.path.dirname(target))
    result = run(binary, "report", "1", "4", "--db", db, "-o", target)
    expect(result.returncode == 0, "report -o cmp.md writes Markdown", result)
    text = open(target, encoding="utf-8").read()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    expect(len(links) == 6 and all(l.startswith("cmp-") and l.endswith(".png") for l in links),
           f"six chart links named after the file ({links})")
    for link in links:
        png = Image.open(os.path.join(os.path.dirname(target), link))
        png.load()
        expect(png.format == "PNG" and png.size == (1800, 720), f"{link} is beside it, a PNG")
    expect("| Figure |" in text and "## Hardware" in text, "the table and the hardware are in it")


def check_refusal(binary, db, work):
    report = os.path.join(work, "refused.html")
    with open(report, "w") as f:
        f.write("an earlier report")
    result = run(binary, "report", "1", "2", "--db", db, "-o", report)
    expect(result.returncode == 3 and "workload" in result.stderr,
           "runs with different workloads are refused (exit 3), saying why", result)
    expect(open(report).read() == "an earlier report", "the earlier report is left as it was")
    expect(not os.path.exists(report + ".partial"), "no partial file is left")
    result = run(binary, "report", "1", "2", "--db", db, "-o", report, "--force")
    expect(result.returncode == 0 and "warning" in result.stdout, "--force reports with warnings",
           result)
    forced = open(report, encoding="utf-8").read()
    warnings = forced[forced.find('<ul class="warnings">'):forced.find("</ul>")]
    expect("not like for like (forced): workload" in warnings and "SLOs" in warnings,
           "the forced report's warnings say what differs: the workload and the SLOs")


def main():
    binary, make_fixture, work = sys.argv[1:4]
    chromium = shutil.which("chromium")
    expect(chromium is not None, "chromium is installed (scripts/bootstrap installs it)")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    db = os.path.join(work, "fixture.db")
    result = run(make_fixture, db)
    expect(result.returncode == 0, "the fixture is written", result)
    check_html(binary, db, work, chromium)
    check_markdown(binary, db, work)
    check_refusal(binary, db, work)


if __name__ == "__main__":
    main()
