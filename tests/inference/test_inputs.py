"""Real radiographs into the model: field found on DICOM films, crops figure, bad pairs refused."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from x2ct.errors import InputError
from x2ct.inference.inputs import prepare_views
from x2ct.inference.predictor import Predictor
from x2ct.io import Radiograph, read_radiograph

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "xray"))
from test_field import film  # the synthetic films of the field tests

DX = "1.2.840.10008.5.1.4.1.1.1.1"


def write_dx(
    path: Path,
    image: np.ndarray,
    spacing_mm: float,
    photometric="MONOCHROME2",
    orientation: str | None = None,
) -> Path:
    """A DX file with Imager Pixel Spacing; MONOCHROME1 stores the image inverted;
    ``orientation`` as Patient Orientation, e.g. 'A\\F'."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = DX
    ds.SOPClassUID, ds.SOPInstanceUID = DX, generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.Modality, ds.PatientID = "DX", "TEST"
    ds.Rows, ds.Columns = image.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.ImagerPixelSpacing = [spacing_mm, spacing_mm]
    if orientation is not None:
        ds.PatientOrientation = orientation.split("\\")
    stored = np.clip(image, 0, 4095)
    if photometric == "MONOCHROME1":
        stored = 4095 - stored
    ds.PixelData = stored.astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture(scope="module")
def predictor():
    return Predictor.from_model("default")


@pytest.fixture
def pair(tmp_path):
    frontal = write_dx(tmp_path / "ap.dcm", film("frontal", 150, size=(430, 350)), 1.0)
    lateral = write_dx(
        tmp_path / "lat.dcm", film("lateral", 220, size=(430, 350)), 1.0, "MONOCHROME1"
    )
    return frontal, lateral


def test_films_are_cut_around_the_spine(pair, predictor):
    front, lat = prepare_views(read_radiograph(pair[0]), read_radiograph(pair[1]), predictor)
    size = predictor.view_size
    assert front.image.shape == lat.image.shape == (size, size)
    assert front.image.dtype == np.uint8
    side = predictor.geometry.prepare.field_mm * predictor.geometry.magnification
    assert front.crop.side == pytest.approx(side)
    assert abs(front.crop.center[1] - 150) <= 2.5 and front.crop.method == "symmetry axis"
    assert lat.crop.method == "body centre"
    # The spine sits in the middle column of the model's frontal view; collimation is black.
    profile = front.image[size // 4 : 3 * size // 4].mean(axis=0)
    assert abs(int(np.argmax(profile)) - size // 2) <= 3
    # Left of the film and its 30-pixel collimation band (bright on the film): black.
    border = round(69 / side * size)  # 39 px of padding + 30 of collimation, in view pixels
    assert front.image[:, : border - 1].max() == 0 and front.image[:, border + 1].max() > 0


def test_reconstruct_writes_the_crops_figure(pair, tmp_path):
    from x2ct.inference.reconstruct import reconstruct

    result = reconstruct(pair[0], pair[1], tmp_path / "out")
    assert result.crops is not None and result.crops.is_file()
    assert result.volume.is_file()


def test_given_centres_and_field_are_used(pair, predictor):
    front, lat = prepare_views(
        read_radiograph(pair[0]), read_radiograph(pair[1]), predictor,
        centers=((200.0, 160.0), (210.0, 200.0)), side_mm=250.0,
    )  # fmt: skip
    assert front.crop.center == (200.0, 160.0) and front.crop.method == "given"
    assert lat.crop.side == pytest.approx(250.0)


def test_bad_pairs_are_one_clear_line(pair, predictor, tmp_path):
    frontal = read_radiograph(pair[0])
    with pytest.raises(InputError, match="the frontal image again"):
        prepare_views(frontal, frontal, predictor)
    small = read_radiograph(write_dx(tmp_path / "small.dcm", film("lateral", 90, (200, 180)), 1.0))
    with pytest.raises(InputError, match=r"small\.dcm.*too small"):
        prepare_views(frontal, small, predictor)
    png = tmp_path / "view.png"
    from PIL import Image

    Image.fromarray(np.full((64, 64), 100, np.uint8)).save(png)
    with pytest.raises(InputError, match="pixel spacing"):
        prepare_views(
            read_radiograph(png), Radiograph(np.eye(64) * 50, None, "b.png"),
            predictor, side_mm=300.0,
        )  # fmt: skip


def test_films_stored_another_way_are_turned_by_their_orientation(pair, predictor, tmp_path):
    """A lateral stored facing right (A\\F) and a frontal stored as seen from behind (R\\F)
    give the model the same views as the films stored its way; the centres given are pixels of
    the films as stored."""
    upright = prepare_views(
        read_radiograph(pair[0]), read_radiograph(pair[1]), predictor,
        centers=((200.0, 150.0), (215.0, 170.0)),
    )  # fmt: skip
    front = film("frontal", 150, size=(430, 350))[:, ::-1]
    lat = film("lateral", 220, size=(430, 350))[:, ::-1]
    stored = (
        write_dx(tmp_path / "ap_r.dcm", front, 1.0, orientation="R\\F"),
        write_dx(tmp_path / "lat_a.dcm", lat, 1.0, "MONOCHROME1", orientation="A\\F"),
    )
    turned = prepare_views(
        read_radiograph(stored[0]), read_radiograph(stored[1]), predictor,
        centers=((200.0, 349 - 150.0), (215.0, 349 - 170.0)),
    )  # fmt: skip
    for a, b in zip(upright, turned, strict=True):
        np.testing.assert_array_equal(a.image, b.image)
        assert a.crop.center == b.crop.center and a.turned is None
    assert turned[1].turned.startswith("mirrored left-right (DICOM Patient Orientation A\\F")
    # Without the tag the same files would be read the wrong way round: different views.
    wrong = prepare_views(
        Radiograph(front, (1.0, 1.0), "a"), Radiograph(lat, (1.0, 1.0), "b"), predictor,
        centers=((200.0, 349 - 150.0), (215.0, 349 - 170.0)),
    )  # fmt: skip
    assert not np.array_equal(wrong[1].image, upright[1].image)


def test_views_swapped_by_their_files_own_words(pair, predictor, tmp_path):
    ap = write_dx(
        tmp_path / "ap.dcm", film("frontal", 150, size=(430, 350)), 1.0, orientation="L\\F"
    )
    lat = write_dx(
        tmp_path / "lat.dcm", film("lateral", 220, size=(430, 350)), 1.0, orientation="P\\F"
    )
    with pytest.raises(
        InputError, match=r"^.*lat\.dcm: expected the frontal view as --frontal.*views swapped"
    ):
        prepare_views(read_radiograph(lat), read_radiograph(ap), predictor)


def test_own_views_given_the_other_way_round_are_refused(predictor):
    """x2ct's own views (no pixel spacing, the model's field already) get the swap check."""
    cols = 128
    c = np.arange(cols, dtype=float)
    frontal = np.tile(40.0 + 160.0 * (np.abs(c - 64) < 48), (128, 1))  # 96 columns across
    frontal[:, 58:70] += 50.0  # the spine, on the axis of symmetry
    lateral = np.tile(40.0 + 160.0 * (np.abs(c - 60) < 36), (128, 1))  # 72 deep
    lateral[:, 80:92] += 50.0  # the spine near the back
    noise = np.random.default_rng(0).normal(0.0, 10.0, (2, 128, 128))  # air is not a border
    frontal, lateral = np.clip(frontal + noise[0], 0, 255), np.clip(lateral + noise[1], 0, 255)
    good = prepare_views(
        Radiograph(frontal, None, "f.png"), Radiograph(lateral, None, "l.png"), predictor
    )
    assert good[0].crop is None and good[0].image.shape == (predictor.view_size,) * 2
    with pytest.raises(InputError, match=r"^l\.png: .*views that look swapped"):
        prepare_views(
            Radiograph(lateral, None, "l.png"), Radiograph(frontal, None, "f.png"), predictor
        )
