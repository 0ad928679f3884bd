"""The JSON Schemas in schemas/ngff are generated from the models and current."""

from __future__ import annotations

import json
from pathlib import Path

from ngff.schemas import SECTIONS, generate

ROOT = Path(__file__).parents[2] / "schemas" / "ngff"


def test_schema_files_are_current() -> None:
    expected = generate()
    on_disk = {p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*.json")}
    assert on_disk == set(expected), "run: python -m ngff.schemas"
    for name, text in expected.items():
        assert (ROOT / name).read_text() == text, f"{name} is stale: run python -m ngff.schemas"


def test_one_schema_per_version_and_section() -> None:
    assert set(SECTIONS) == {"0.4", "0.5", "0.6"}
    scene = json.loads(generate()["0.6/scene.json"])
    assert "coordinateTransformations" in scene["required"]
    label = json.loads(generate()["0.5/image-label.json"])
    assert "label-value" in json.dumps(label)
