"""The page's functions, called as the page calls them (no server): one reconstruction of a
bundled example, and each kind of bad input giving one clear line."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

gr = pytest.importorskip("gradio", reason="the optional extra x2ct[app] is not installed")

from x2ct.app import display, page, work  # noqa: E402
from x2ct.app.examples import example_names, find_example  # noqa: E402
from x2ct.models.folder import default_model_name  # noqa: E402

MODEL = default_model_name()


@pytest.fixture(scope="module")
def server_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("app-root")


@pytest.fixture(scope="module")
def example():
    return find_example(example_names()[0], MODEL)


@pytest.fixture(scope="module")
def result(server_root, example) -> dict:
    """One reconstruction of the first example with its truth (reused by the tests below)."""
    cache = server_root / "cache"
    frontal, lateral = page.pick_example(example.name, MODEL)
    return page.handle(
        page.run,
        frontal,
        lateral,
        MODEL,
        example.name,
        "bone",
        root=server_root,
        cache=str(cache),
    )


def test_example_reconstructs_with_slices_surface_measures_and_dice(result, server_root):
    assert "Reconstructed" in result["status"] and "bone Dice" in result["status"]
    hu, truth = result["state"]["hu"], result["state"]["truth"]
    assert hu.shape == truth.shape == (64, 64, 64)
    names = {Path(p).name for p in result["downloads"]}
    assert {"volume.nii.gz", "labels.nii.gz", "bone.stl", "measures.csv"} <= names
    assert Path(result["surface"]).suffix == ".glb" and Path(result["surface"]).stat().st_size > 0
    assert result["measures"] and "Genant grade" in result["measures"][0]
    assert "Levels:" in result["legend"]
    # the request folder is gone; only gradio's cache copies remain
    assert not list(server_root.glob("request-*"))
    assert all(str(server_root / "cache") in p for p in result["downloads"])


def test_slices_show_prediction_beside_truth_in_both_windows(result):
    for window in display.WINDOWS:
        pictures = page.slices(result["state"], window, 10, 32, 40)
        assert len(pictures) == 3
        for picture in pictures:
            assert picture.dtype == np.uint8
            assert picture.shape == (256, 2 * 256 + display.GAP)
    bone = page.slices(result["state"], "bone", 32, 32, 32)[1]
    soft = page.slices(result["state"], "soft tissue", 32, 32, 32)[1]
    assert not np.array_equal(bone, soft)
    assert page.slices(None, "bone", 0, 0, 0) == [None, None, None]


def test_surface_is_coloured_by_level(result):
    import trimesh

    mesh = trimesh.load(result["surface"], force="mesh")
    colours = np.unique(np.asarray(mesh.visual.vertex_colors)[:, :3], axis=0)
    assert len(colours) >= 2  # at least one level besides unlabelled bone


def test_preview_shows_the_model_inputs(example):
    items, note = page.preview(str(example.frontal), str(example.lateral), MODEL)
    assert len(items) == 4 and "whole image" in note
    items, note = page.preview(str(example.frontal), None, MODEL)
    assert items == [] and "lateral" in note


def test_examples_exist_for_every_shipped_model():
    from x2ct.models.folder import shipped_names

    assert len(example_names()) >= 2
    for name in example_names():
        for model in shipped_names():
            found = find_example(name, model)
            assert found.model == model and found.frontal.is_file() and found.truth.is_file()
        assert find_example(name, "/some/exported/model").model == MODEL


def _error(server_root, frontal, lateral, **kwargs) -> str:
    options = {"root": server_root, "cache": str(server_root / "cache")} | kwargs
    with pytest.raises(gr.Error) as caught:
        page.handle(page.run, frontal, lateral, MODEL, page.NO_EXAMPLE, "bone", **options)
    message = str(caught.value.message)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_one_view_missing(server_root, example):
    assert "no file" in _error(server_root, str(example.frontal), None)
    assert "frontal view" in _error(server_root, None, str(example.lateral))


def test_not_an_image(server_root, example, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not a radiograph\n")
    message = _error(server_root, str(text), str(example.lateral))
    assert message.startswith("notes.png: expected a readable")
    assert str(tmp_path) not in message  # the temporary folder is not shown


def test_huge_file(server_root, example, tmp_path):
    big = tmp_path / "huge.png"
    with big.open("wb") as handle:  # sparse: no 60 MB written
        handle.truncate(int((work.MAX_UPLOAD_MB + 10) * 1e6))
    assert "at most 50 MB" in _error(server_root, str(example.frontal), str(big))


def test_volume_instead_of_radiograph(server_root, example, tmp_path):
    ct = tmp_path / "ct.nii.gz"
    shutil.copyfile(example.truth, ct)
    message = _error(server_root, str(ct), str(example.lateral))
    assert "a 3D volume (shape 64 x 64 x 64)" in message


def test_same_image_twice(server_root, example):
    message = _error(server_root, str(example.frontal), str(example.frontal))
    assert "two different radiographs" in message
    assert not list(server_root.glob("request-*"))


def test_unexpected_failure_is_one_line_without_traceback(server_root, example, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(work, "reconstruct_request", broken)
    message = _error(server_root, str(example.frontal), str(example.lateral))
    assert "RuntimeError" in message and "server's log" in message
    assert not list(server_root.glob("request-*"))


def test_page_builds(tmp_path, monkeypatch):
    from x2ct.app.ui import build_page

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    blocks = build_page("default", tmp_path)
    ids = {getattr(block, "elem_id", None) for block in blocks.blocks.values()}
    expected = {"frontal", "lateral", "example", "run", "status", "surface", "measures"}
    assert expected | {f"slice-{p}" for p in display.PLANES} <= ids
