"""The results chart tells many series apart (matplotlib's default cycle repeats after 10)."""

from __future__ import annotations

from sparsexlt.evaluation.chart import series_style


def test_twenty_series_get_twenty_colours_without_hatches():
    styles = [series_style(i) for i in range(20)]
    assert len({s["color"] for s in styles}) == 20
    assert all(s["hatch"] is None for s in styles)


def test_series_past_the_palette_differ_by_hatch():
    looks = {(series_style(i)["color"], series_style(i)["hatch"]) for i in range(60)}
    assert len(looks) == 60
    assert series_style(20)["color"] == series_style(0)["color"]
    assert series_style(20)["hatch"] is not None
