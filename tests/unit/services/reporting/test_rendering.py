"""Rendering is deterministic (issue 7): the same content gives byte-identical outputs in every
format — twice in one process, and in fresh processes with another hash seed, time zone and
clock — so an auditor who rebuilds the content can compare `content_hashes`."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from services.reporting.rendering import FORMATS, content_hashes, render_all
from tests.unit.services.reporting.samples import count, figures_of, national, regional

ROOT = Path(__file__).resolve().parents[4]
RENDER = (
    "import json\n"
    "from services.reporting.rendering import content_hashes, render_all\n"
    "from tests.unit.services.reporting.samples import count, figures_of, national, regional\n"
    "print(json.dumps([content_hashes(render_all(c)) for c in (national(), regional())]))\n"
)


def test_rendering_twice_gives_the_same_bytes_in_every_format() -> None:
    for content in (national(), regional()):
        first, second = render_all(content), render_all(content)
        assert set(first) == set(FORMATS)
        assert first == second


def test_fresh_processes_render_the_same_bytes() -> None:
    here = [content_hashes(render_all(c)) for c in (national(), regional())]
    settings = [("1", "Pacific/Auckland"), ("4242", "America/Los_Angeles")]
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", RENDER],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed, "TZ": zone},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for seed, zone in settings
    ]
    for run in runs:
        out, err = run.communicate(timeout=240)
        assert run.returncode == 0, err.decode()
        assert json.loads(out.decode().strip().splitlines()[-1]) == here


def test_content_hashes_are_the_sha256_of_each_output() -> None:
    outputs = {"html": b"<p>a</p>", "csv": b"a\r\n"}
    assert content_hashes(outputs) == {
        "csv": hashlib.sha256(b"a\r\n").hexdigest(),
        "html": hashlib.sha256(b"<p>a</p>").hexdigest(),
    }
    assert content_hashes({**outputs, "csv": b"b\r\n"})["csv"] != content_hashes(outputs)["csv"]


def test_one_changed_figure_changes_the_hash_of_every_format() -> None:
    series = figures_of("MK")
    last = series.periods[-1]
    assert last.values[0].indicator == "ID-01" and last.values[0].cell == ()
    changed = replace(last, values=(count("ID-01", "2024", 42), *last.values[1:]))
    other = national(values=(replace(series, periods=(*series.periods[:-1], changed)),))
    one, two = content_hashes(render_all(national())), content_hashes(render_all(other))
    assert [name for name in FORMATS if one[name] == two[name]] == []
