from __future__ import annotations

import json
import shutil
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from ngff.detection import discover as ome_discover
from ngff_geozarr.core.hierarchy import (
    MAX_DEPTH,
    Hierarchy,
    Node,
    hierarchy_from_json,
    read_hierarchy,
)
from ngff_geozarr.core.report import Severity
from ngff_geozarr.core.store import CONSOLIDATED_LIMIT, DOCUMENT_LIMIT, ZarrFormat, open_store
from ngff_geozarr.core.testing import serve_directory

EOPF = Path(__file__).parents[1] / "data" / "conformance" / "geozarr" / "eopf"


def rules(h: Hierarchy) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for issue in h.issues:
        found.setdefault(issue.rule, []).append(issue.path)
    return found


def v3_array(shape: Any = (4, 4), **extra: Any) -> dict[str, Any]:
    doc = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": shape,
        "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 2]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": [{"name": "bytes"}],
        "attributes": {},
    }
    doc.update(extra)
    return doc


def write_tree(root: Path, documents: dict[str, Any]) -> Path:
    """Write metadata documents (dict -> JSON text; bytes as they are) under ``root``."""
    for key, value in documents.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(value if isinstance(value, bytes) else json.dumps(value).encode())
    return root


GROUP = {"zarr_format": 3, "node_type": "group", "attributes": {}}


# -- reading stores ---------------------------------------------------------------------


def test_reads_every_node_of_the_sample(samples: tuple[Path, Path]) -> None:
    h = read_hierarchy(samples[0])
    assert list(h) == ["", "0", "1", "labels", "labels/cells", "labels/cells/0", "labels/cells/1"]
    assert h.issues == ()
    assert (h.source, h.zarr_format, h.consolidated) == ("store", 3, True)  # ngff consolidates
    assert h["0"].node_type == "array"
    assert h["0"].array is not None
    assert tuple(h["0"].array.shape) == (16, 96, 96)
    assert h["labels"].children == ("cells",)
    assert [n.path for n in h.children("labels/cells")] == ["labels/cells/0", "labels/cells/1"]
    assert h.root is not None
    assert h.root.attributes["ome"]["version"] == "0.5"
    assert [n.path for n in h.walk("labels")] == [
        "labels",
        "labels/cells",
        "labels/cells/0",
        "labels/cells/1",
    ]


def test_node_is_immutable(samples: tuple[Path, Path]) -> None:
    h = read_hierarchy(samples[0])
    with pytest.raises(AttributeError):
        h["0"].path = "elsewhere"  # type: ignore[misc]


def test_zarr_v2_store_with_dimension_names_from_attributes(tmp_path: Path) -> None:
    with open_store(tmp_path / "v2.zarr", "w-") as store:
        store.create_group("", {"title": "t"}, zarr_format=2)
        store.create_group("g", zarr_format=2)
        store.create_array(
            "g/x", [1.0, 2.0], zarr_format=2, attributes={"_ARRAY_DIMENSIONS": ["x"]}
        )
    h = read_hierarchy(tmp_path / "v2.zarr")
    assert list(h) == ["", "g", "g/x"]
    assert h.issues == ()
    assert h["g/x"].zarr_format == 2
    assert h["g/x"].dimension_names() == ("x",)
    assert h.root is not None
    assert h.root.attributes == {"title": "t"}


def _ghost_v2(root: Path) -> Path:
    """A v2 store whose .zmetadata gives the root an attribute and lists a group 'ghost' that
    the directory does not hold."""
    write_tree(root, {".zgroup": {"zarr_format": 2}})
    consolidated = {
        "zarr_consolidated_format": 1,
        "metadata": {
            ".zgroup": {"zarr_format": 2},
            ".zattrs": {"a": 1},
            "ghost/.zgroup": {"zarr_format": 2},
        },
    }
    return write_tree(root, {".zmetadata": consolidated})


def test_consolidated_v2_is_used_without_listing_over_http(tmp_path: Path) -> None:
    from ngff_geozarr.core.testing import serve_directory

    _ghost_v2(tmp_path / "c.zarr")
    with serve_directory(tmp_path) as (url, log):
        h = read_hierarchy(f"{url}/c.zarr")
    # "ghost" exists only in the consolidated metadata: it proves that is what was read.
    assert h.consolidated
    assert list(h) == ["", "ghost"]
    assert h.root is not None
    assert h.root.attributes == {"a": 1}
    assert log.count == 5  # the five root documents, nothing listed


def test_stale_consolidated_metadata_of_a_local_store_is_reported(tmp_path: Path) -> None:
    h = read_hierarchy(_ghost_v2(tmp_path / "c.zarr"))
    assert h.consolidated
    assert list(h) == [""]  # the documents are what is validated
    assert h.root is not None
    assert h.root.attributes == {}
    assert rules(h) == {"zarr.consolidated.stale": ["", "ghost"]}
    assert all(i.severity.value == "warning" for i in h.issues)


def test_consolidated_v3_inline(tmp_path: Path) -> None:
    root_doc = {
        **GROUP,
        "consolidated_metadata": {
            "kind": "inline",
            "must_understand": False,
            "metadata": {"a": GROUP, "a/x": v3_array()},
        },
    }
    h = read_hierarchy(
        write_tree(
            tmp_path / "c.zarr",
            {"zarr.json": root_doc, "a/zarr.json": GROUP, "a/x/zarr.json": v3_array()},
        )
    )
    assert h.consolidated
    assert h.issues == ()
    assert list(h) == ["", "a", "a/x"]
    assert "consolidated_metadata" not in h[""].metadata
    # an edit after consolidation: a warning on that node, the edited document validated
    write_tree(tmp_path / "c.zarr", {"a/x/zarr.json": v3_array(shape=(8, 4))})
    h = read_hierarchy(tmp_path / "c.zarr")
    assert rules(h) == {"zarr.consolidated.stale": ["a/x"]}
    assert h["a/x"].metadata["shape"] == [8, 4]


def test_writers_spelling_defaults_differently_are_not_stale(tmp_path: Path) -> None:
    own = v3_array()
    spelled = {**own, "storage_transformers": [], "dimension_names": None, "fill_value": 0.0}
    root_doc = {
        **GROUP,
        "consolidated_metadata": {
            "kind": "inline",
            "must_understand": False,
            "metadata": {"x": spelled},
        },
    }
    h = read_hierarchy(write_tree(tmp_path / "c.zarr", {"zarr.json": root_doc, "x/zarr.json": own}))
    assert h.issues == ()


def test_consolidated_keys_leaving_the_store_are_refused(tmp_path: Path) -> None:
    consolidated = {
        "zarr_consolidated_format": 1,
        "metadata": {".zgroup": {"zarr_format": 2}, "../../etc/.zgroup": {"zarr_format": 2}},
    }
    root = write_tree(
        tmp_path / "c.zarr", {".zgroup": {"zarr_format": 2}, ".zmetadata": consolidated}
    )
    h = read_hierarchy(root)
    assert list(h) == [""]
    assert "zarr.path.unsafe" in rules(h)


# -- bad documents: an issue naming the node, the rest still read -------------------------


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b'{"zarr_format": 3, "node_type": "group",', "zarr.metadata.malformed-json"),
        (b'{"zarr_format": 3, "node_type": "gr\xff\xfeoup"}', "zarr.metadata.not-utf8"),
        (b"[1, 2, 3]", "zarr.metadata.not-an-object"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "zarr.metadata.too-deep"),
        (b"[" * 100_000 + b"]" * 100_000, "zarr.metadata.too-deep"),
    ],
    ids=["truncated", "not-utf8", "not-an-object", "too-deep", "very-deep"],
)
def test_broken_document_is_reported_and_siblings_still_read(
    tmp_path: Path, content: bytes, rule: str
) -> None:
    root = write_tree(
        tmp_path / "s.zarr",
        {"zarr.json": GROUP, "bad/zarr.json": content, "good/zarr.json": v3_array()},
    )
    h = read_hierarchy(root)
    assert list(h) == ["", "good"]
    assert rules(h) == {rule: ["bad"]}
    assert h.issues[0].severity is Severity.ERROR
    assert "bad/zarr.json" in h.issues[0].message


def test_document_over_the_size_limit(tmp_path: Path) -> None:
    padding = " " * (DOCUMENT_LIMIT + 10)
    big = json.dumps(GROUP)[:-1] + padding + "}"
    root = write_tree(
        tmp_path / "s.zarr",
        {"zarr.json": GROUP, "big/zarr.json": big.encode(), "good/zarr.json": GROUP},
    )
    h = read_hierarchy(root)
    assert list(h) == ["", "good"]
    assert rules(h) == {"zarr.metadata.too-large": ["big"]}


def test_document_size_limit_is_enforced_with_a_ranged_read_over_http(tmp_path: Path) -> None:
    big = json.dumps(GROUP)[:-1] + " " * (DOCUMENT_LIMIT + 10) + "}"
    write_tree(tmp_path / "s.zarr", {"zarr.json": GROUP, "big/zarr.json": big.encode()})
    with serve_directory(tmp_path) as (url, log):
        h = read_hierarchy(f"{url}/s.zarr")
    assert rules(h) == {"zarr.metadata.too-large": ["big"]}
    statuses = [status for _, path, status in log.entries if path.endswith("big/zarr.json")]
    assert statuses == [206]


def test_wrong_types_are_reported_with_a_pointer(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "s.zarr",
        {
            "zarr.json": GROUP,
            "a/zarr.json": v3_array(shape="10"),
            "b/zarr.json": v3_array(),
        },
    )
    h = read_hierarchy(root)
    assert list(h) == ["", "a", "b"]
    assert h["a"].array is None
    assert h["b"].array is not None
    (issue,) = h.issues
    assert (issue.rule, issue.path, issue.pointer) == ("zarr.metadata.invalid", "a", "/shape")
    assert issue.message == 'a/zarr.json: Input should be an array. Got "10".'


def test_wrong_types_in_v2_metadata(tmp_path: Path) -> None:
    zarray = {
        "zarr_format": 2,
        "shape": "10",
        "chunks": [5],
        "dtype": "<u2",
        "compressor": None,
        "fill_value": 0,
        "filters": None,
        "order": "C",
    }
    root = write_tree(
        tmp_path / "s.zarr",
        {".zgroup": {"zarr_format": 2}, "x/.zarray": zarray, "x/.zattrs": {"k": 1}},
    )
    h = read_hierarchy(root)
    assert h["x"].attributes == {"k": 1}
    assert [(i.rule, i.path, i.pointer) for i in h.issues] == [
        ("zarr.metadata.invalid", "x", "/shape")
    ]


def test_attributes_that_are_not_an_object(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "s.zarr", {"zarr.json": {**GROUP, "attributes": [1, 2]}})
    h = read_hierarchy(root)
    assert [(i.rule, i.pointer) for i in h.issues] == [("zarr.metadata.invalid", "/attributes")]


def test_unknown_v3_extension_key_must_understand_false_is_accepted(tmp_path: Path) -> None:
    doc = v3_array(my_extension={"must_understand": False, "x": 1})
    h = read_hierarchy(write_tree(tmp_path / "s.zarr", {"zarr.json": doc}))
    assert h.issues == ()
    assert h[""].array is not None


def test_huge_declared_shape_is_shown_and_reported_without_allocation(tmp_path: Path) -> None:
    doc = v3_array(shape=[10**15, 10**15])
    root = write_tree(tmp_path / "s.zarr", {"zarr.json": GROUP, "huge/zarr.json": doc})
    tracemalloc.start()
    try:
        h = read_hierarchy(root)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20
    assert h["huge"].array is not None
    assert tuple(h["huge"].array.shape) == (10**15, 10**15)
    assert rules(h) == {"zarr.array.shape-overflow": ["huge"]}


def test_v2_zattrs_without_zgroup_is_reported(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "s.zarr", {".zgroup": {"zarr_format": 2}, "orphan/.zattrs": {"a": 1}}
    )
    h = read_hierarchy(root)
    assert list(h) == [""]
    assert rules(h) == {"zarr.metadata.missing": ["orphan"]}


def test_non_node_entries_in_a_group_are_ignored(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "s.zarr", {"zarr.json": GROUP, "README.md": b"hello"})
    (root / "empty-dir").mkdir()
    h = read_hierarchy(root)
    assert list(h) == [""]
    assert h.issues == ()


# -- unlistable stores ----------------------------------------------------------------


def test_unlistable_http_store_is_explored_through_metadata_references(
    samples: tuple[Path, Path], tmp_path: Path
) -> None:
    sample = _unconsolidated(samples[0], tmp_path)
    with serve_directory(sample.parent, listing=False) as (url, _):
        target = f"{url}/{sample.name}"
        blind = read_hierarchy(target)
        guided = read_hierarchy(target, discover=ome_discover)
    assert list(blind) == [""]
    assert rules(blind) == {"zarr.hierarchy.unlistable": [""]}
    assert list(guided) == list(read_hierarchy(samples[0]))
    assert "zarr.hierarchy.unlistable" in rules(guided)


def _unconsolidated(sample: Path, folder: Path) -> Path:
    """A copy of a sample store without its consolidated metadata (writers add it)."""
    copy = folder / sample.name
    shutil.copytree(sample, copy)
    root = json.loads((copy / "zarr.json").read_text())
    root.pop("consolidated_metadata", None)
    (copy / "zarr.json").write_text(json.dumps(root))
    return copy


def test_hostile_references_are_refused_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    write_tree(secret, {"zarr.json": {**GROUP, "attributes": {"stolen": True}}})
    ms = [{"datasets": [{"path": "../secret"}, {"path": "/etc"}, {"path": "0"}]}]
    store = write_tree(
        tmp_path / "store.zarr",
        {"zarr.json": {**GROUP, "attributes": {"ome": {"version": "0.5", "multiscales": ms}}}},
    )
    write_tree(store, {"0/zarr.json": v3_array()})
    with serve_directory(tmp_path, listing=False) as (url, log):
        h = read_hierarchy(f"{url}/store.zarr", discover=ome_discover)
    assert list(h) == ["", "0"]
    assert rules(h)["zarr.path.unsafe"] == ["", ""]
    assert not any("secret" in path or "/etc" in path for _, path, _ in log.entries)


def test_a_reference_may_climb_to_a_sibling_but_not_out_of_the_store(tmp_path: Path) -> None:
    """A discovered reference may start with ``../`` (a bioformats2raw ``OME`` group names
    the images beside it); one that climbs above the root is refused, not followed."""
    write_tree(
        tmp_path / "store.zarr",
        {
            "zarr.json": {**GROUP, "attributes": {"refs": ["a"]}},
            "a/zarr.json": {**GROUP, "attributes": {"refs": ["../b/c", "../../secret"]}},
            "b/zarr.json": GROUP,
            "b/c/zarr.json": v3_array(),
        },
    )
    write_tree(tmp_path / "secret", {"zarr.json": GROUP})

    def refs(node: Node) -> list[str]:
        return list(node.attributes.get("refs", []))

    with serve_directory(tmp_path, listing=False) as (url, log):
        h = read_hierarchy(f"{url}/store.zarr", discover=refs)
    assert list(h) == ["", "a", "b", "b/c"]
    assert rules(h)["zarr.path.unsafe"] == ["a"]
    assert not any("secret" in path for _, path, _ in log.entries)


# -- JSON documents -------------------------------------------------------------------


def test_bare_attributes() -> None:
    h = hierarchy_from_json({"ome": {"version": "0.5"}}, filename=".zattrs")
    assert list(h) == [""]
    assert (h.source, h.zarr_format, h[""].zarr_format) == ("json", None, None)
    assert h[""].attributes == {"ome": {"version": "0.5"}}


def test_zarr_json_node_document() -> None:
    h = hierarchy_from_json(v3_array(), filename="zarr.json")
    assert h[""].node_type == "array"
    assert h.zarr_format == 3


def test_zarray_and_zgroup_documents() -> None:
    zarray = {
        "zarr_format": 2,
        "shape": [10],
        "chunks": [5],
        "dtype": "<f4",
        "compressor": None,
        "fill_value": "NaN",
        "filters": None,
        "order": "C",
    }
    assert hierarchy_from_json(zarray, filename=".zarray")[""].node_type == "array"
    assert hierarchy_from_json({"zarr_format": 2}, filename=".zgroup")[""].node_type == "group"


def test_consolidated_zmetadata_document() -> None:
    doc = {
        "zarr_consolidated_format": 1,
        "metadata": {".zgroup": {"zarr_format": 2}, "a/.zgroup": {"zarr_format": 2}},
    }
    h = hierarchy_from_json(doc, filename=".zmetadata")
    assert list(h) == ["", "a"]
    assert h.consolidated


def test_groupspec_dump_with_hostile_member_names() -> None:
    dump = {
        "zarr_format": 3,
        "node_type": "group",
        "attributes": {},
        "members": {
            "..": {"zarr_format": 3, "node_type": "group", "attributes": {}},
            "a/b": {"zarr_format": 3, "node_type": "group", "attributes": {}},
            "ok": {**v3_array(), "members": None},
            "bad": "not an object",
        },
    }
    h = hierarchy_from_json(dump)
    assert list(h) == ["", "ok"]
    assert rules(h) == {
        "zarr.path.unsafe": ["", ""],
        "zarr.metadata.not-an-object": ["bad"],
    }


def test_json_file_targets(tmp_path: Path) -> None:
    (tmp_path / ".zattrs").write_text(json.dumps({"multiscales": []}))
    (tmp_path / "broken.json").write_bytes(b"{not json")
    h = read_hierarchy(tmp_path / ".zattrs")
    assert h[""].attributes == {"multiscales": []}
    broken = read_hierarchy(tmp_path / "broken.json")
    assert len(broken) == 0
    assert list(rules(broken)) == ["zarr.metadata.malformed-json"]


# EOPF dumps: (groups, arrays) pinned, keyed by folder and product id (the file name's start).
# These are real Sentinel-1/2 product hierarchies.
EOPF_COUNTS = {
    "s1_examples/S1A_IW_GRDH_1SDV_20241124T180254": (37, 192),
    "s1_examples/S1C_IW_GRDH_1SDV_20250912T053648": (33, 150),
    "s2_examples/S2A_MSIL2A_20251008T100041": (36, 149),
    "s2_examples/S2C_MSIL2A_20250811T112131": (36, 149),
    "geozarr_examples/S2A_MSIL2A_20251008T100041": (35, 194),
    "geozarr_examples/S2B_MSIL1C_20250113T103309": (26, 131),
    "optimized_geozarr_examples/S2A_MSIL2A_20251008T100041": (35, 194),
    "optimized_geozarr_examples/S2C_MSIL2A_20250811T112131": (35, 194),
}


def eopf_dump(key: str) -> Path:
    folder, product = key.split("/")
    (path,) = (EOPF / folder).glob(product + "*.json")
    return path


def test_every_eopf_dump_is_pinned() -> None:
    hierarchies = [p for p in EOPF.glob("*/*.json") if "members" in json.loads(p.read_text())]
    assert sorted(hierarchies) == sorted(eopf_dump(k) for k in EOPF_COUNTS)


@pytest.mark.parametrize("key", sorted(EOPF_COUNTS))
def test_eopf_dump_loads_into_the_tree(key: str) -> None:
    h = read_hierarchy(eopf_dump(key))
    groups = sum(1 for n in h.values() if n.node_type == "group")
    arrays = sum(1 for n in h.values() if n.node_type == "array")
    assert (groups, arrays) == EOPF_COUNTS[key]
    assert [i for i in h.issues if i.severity is Severity.ERROR] == []
    assert all(n.array is not None for n in h.values() if n.node_type == "array")


@pytest.mark.parametrize(
    "name",
    sorted(
        p.relative_to(EOPF).as_posix()
        for p in EOPF.glob("*/*.json")
        if p.parent.name in ("geoproj_examples", "zcm_multiscales_examples")
    ),
)
def test_eopf_node_documents_load(name: str) -> None:
    h = read_hierarchy(EOPF / name)
    assert list(h) == [""]
    node = h[""]
    if node.node_type == "group":
        assert h.issues == ()
    else:
        # The geo-proj examples are array documents that carry only attributes: the missing
        # array metadata is one issue, and the attributes are still read.
        assert node.attributes
        (issue,) = h.issues
        assert issue.rule == "zarr.metadata.invalid"
        assert issue.message.endswith(
            "missing: shape, data_type, chunk_grid, chunk_key_encoding, fill_value, codecs."
        )


def test_walk_and_children_of_unknown_paths(samples: tuple[Path, Path]) -> None:
    h = read_hierarchy(samples[0])
    assert h.children("nope") == ()
    assert list(h.walk("nope")) == []
    assert "nope" not in h


def test_malformed_root_document_is_an_issue_not_an_exception(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "s.zarr", {"zarr.json": b'{"zarr_format": 3, "node_'})
    h = read_hierarchy(root)
    assert len(h) == 0
    assert rules(h) == {"zarr.metadata.malformed-json": [""]}


def test_broken_v2_attributes_point_at_the_attributes(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "s.zarr",
        {".zgroup": {"zarr_format": 2}, "g/.zgroup": {"zarr_format": 2}, "g/.zattrs": b"\xff{"},
    )
    h = read_hierarchy(root)
    assert list(h) == ["", "g"]
    (issue,) = h.issues
    assert (issue.rule, issue.path, issue.pointer) == ("zarr.metadata.not-utf8", "g", "/attributes")
    assert h["g"].attributes == {}


def test_consolidated_metadata_above_the_document_limit_is_read_whole(tmp_path: Path) -> None:
    padding = "x" * (DOCUMENT_LIMIT + 2**20)
    root_doc = {
        **GROUP,
        "attributes": {"padding": padding},
        "consolidated_metadata": {
            "kind": "inline",
            "must_understand": False,
            "metadata": {"a": GROUP},
        },
    }
    h = read_hierarchy(
        write_tree(tmp_path / "c.zarr", {"zarr.json": root_doc, "a/zarr.json": GROUP})
    )
    assert h.issues == ()
    assert h.consolidated
    assert list(h) == ["", "a"]
    assert DOCUMENT_LIMIT < len(padding) < CONSOLIDATED_LIMIT


def test_plain_root_document_above_the_document_limit_is_too_large(tmp_path: Path) -> None:
    root_doc = {**GROUP, "attributes": {"padding": "x" * (DOCUMENT_LIMIT + 10)}}
    h = read_hierarchy(write_tree(tmp_path / "c.zarr", {"zarr.json": root_doc}))
    assert rules(h) == {"zarr.metadata.too-large": [""]}


@pytest.mark.parametrize(
    ("metadata", "zarr_format", "shape", "data_type", "dtype_name", "pointer"),
    [
        ({"shape": [4, 5], "data_type": "float32"}, 3, (4, 5), "float32", "float32", "/data_type"),
        ({"shape": [4], "dtype": "<f8"}, 2, (4,), "<f8", "float64", "/dtype"),
        # a structured v2 type: JSON with sorted keys, so equal types compare equal
        (
            {"shape": [2], "dtype": [["b", "<i4"], ["a", "<f8"]]},
            2,
            (2,),
            '[["b", "<i4"], ["a", "<f8"]]',
            '[["b", "<i4"], ["a", "<f8"]]',
            "/dtype",
        ),
        (
            {"shape": [3], "data_type": {"name": "x.custom", "configuration": {"b": 1, "a": 2}}},
            3,
            (3,),
            '{"configuration": {"a": 2, "b": 1}, "name": "x.custom"}',
            '{"configuration": {"a": 2, "b": 1}, "name": "x.custom"}',
            "/data_type",
        ),
        (
            {"shape": ["4"], "data_type": "no-such-type"},
            3,
            None,
            "no-such-type",
            "no-such-type",
            "/data_type",
        ),
        ({"shape": [1]}, 3, (1,), None, None, "/data_type"),
    ],
)
def test_node_reads_shape_and_data_type_from_its_metadata(
    metadata: dict[str, Any],
    zarr_format: ZarrFormat,
    shape: tuple[int, ...] | None,
    data_type: str | None,
    dtype_name: str | None,
    pointer: str,
) -> None:
    node = Node(
        path="a", node_type="array", zarr_format=zarr_format, attributes={}, metadata=metadata
    )
    assert node.array_shape == shape
    assert node.data_type == data_type
    assert node.dtype_name == dtype_name
    assert node.data_type_pointer == pointer


def test_a_group_has_no_array_shape() -> None:
    node = Node(path="", node_type="group", zarr_format=3, attributes={}, metadata={"shape": [1]})
    assert node.array_shape is None
