"""Radiographs from PNG/JPEG/TIFF and DICOM: bone bright, spacing, bad files."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from x2ct.errors import InputError, MissingFileError
from x2ct.io import read_radiograph


def bone_image(high: int, low: int) -> np.ndarray:
    """A 'body' of value ``low`` with a bright 'bone' square of value ``high``."""
    image = np.full((32, 24), low, dtype=np.int64)
    image[10:20, 8:16] = high
    return image


def bone_is_bright(image: np.ndarray) -> bool:
    return image[10:20, 8:16].mean() > image[:5, :5].mean()


def test_png_8bit(tmp_path):
    path = tmp_path / "x.png"
    Image.fromarray(bone_image(200, 50).astype(np.uint8)).save(path)
    radiograph = read_radiograph(path)
    assert radiograph.image.dtype == np.float32 and radiograph.image.shape == (32, 24)
    assert radiograph.image.max() == 200 and bone_is_bright(radiograph.image)
    assert radiograph.pixel_spacing_mm is None


def test_png_16bit(tmp_path):
    path = tmp_path / "x16.png"
    Image.fromarray(bone_image(60000, 1000).astype(np.uint16)).save(path)
    radiograph = read_radiograph(path)
    assert radiograph.image.max() == 60000


def test_rgb_becomes_grey(tmp_path):
    grey = bone_image(180, 20).astype(np.uint8)
    path = tmp_path / "rgb.jpg"
    Image.fromarray(np.stack([grey] * 3, -1)).save(path, quality=100)
    radiograph = read_radiograph(path)
    assert radiograph.image.ndim == 2
    assert abs(radiograph.image[15, 12] - 180) < 3


def test_tiff_16bit(tmp_path):
    path = tmp_path / "x.tif"
    Image.fromarray(bone_image(4000, 100).astype(np.uint16)).save(path)
    assert read_radiograph(path).image.max() == 4000


def test_dicom_monochrome2_with_rescale_and_imager_spacing(tmp_path, radiograph_writer):
    path = radiograph_writer(
        tmp_path / "dx.dcm", bone_image(3000, 500), slope=2.0, intercept=-100.0
    )
    radiograph = read_radiograph(path)
    assert radiograph.image[15, 12] == pytest.approx(3000 * 2.0 - 100.0)
    assert radiograph.pixel_spacing_mm == pytest.approx((0.143, 0.143))
    assert bone_is_bright(radiograph.image)
    assert radiograph.metadata["modality"] == "DX"


def test_dicom_monochrome1_bone_comes_out_bright(tmp_path, radiograph_writer):
    # In MONOCHROME1 low values display bright: bone is stored LOW.
    stored = bone_image(300, 3500)
    path = radiograph_writer(tmp_path / "m1.dcm", stored, photometric="MONOCHROME1", bits=12)
    radiograph = read_radiograph(path)
    assert bone_is_bright(radiograph.image)
    # Mirrored within the 12-bit range: v -> 4095 - v.
    assert radiograph.image[15, 12] == pytest.approx(4095 - 300)
    assert radiograph.image[0, 0] == pytest.approx(4095 - 3500)


def test_dicom_pixel_spacing_preferred(tmp_path, radiograph_writer):
    path = radiograph_writer(
        tmp_path / "ps.dcm", bone_image(10, 1), spacing_keyword="PixelSpacing", spacing=(0.2, 0.25)
    )
    assert read_radiograph(path).pixel_spacing_mm == pytest.approx((0.2, 0.25))


def test_dicom_spacing_on_the_detector_plane(tmp_path, radiograph_writer):
    """Imager Pixel Spacing wins; a calibrated Pixel Spacing is multiplied by the magnification."""
    import pydicom

    path = radiograph_writer(tmp_path / "both.dcm", bone_image(10, 1), spacing=(0.15, 0.15))
    ds = pydicom.dcmread(path)
    ds.PixelSpacing = [0.125, 0.125]
    ds.save_as(path)
    assert read_radiograph(path).pixel_spacing_mm == pytest.approx((0.15, 0.15))
    path = radiograph_writer(
        tmp_path / "cal.dcm", bone_image(10, 1), spacing_keyword="PixelSpacing", spacing=(0.1, 0.1)
    )
    ds = pydicom.dcmread(path)
    ds.EstimatedRadiographicMagnificationFactor = 1.2
    ds.save_as(path)
    radiograph = read_radiograph(path)
    assert radiograph.pixel_spacing_mm == pytest.approx((0.12, 0.12))
    assert radiograph.metadata["spacing_source"] == "PixelSpacing x magnification"


def test_inverse_presentation_lut_makes_bone_bright(tmp_path, radiograph_writer):
    import pydicom

    path = radiograph_writer(tmp_path / "inv.dcm", bone_image(300, 3500), bits=12)
    ds = pydicom.dcmread(path)
    ds.PresentationLUTShape = "INVERSE"
    ds.save_as(path)
    radiograph = read_radiograph(path)
    assert bone_is_bright(radiograph.image) and radiograph.metadata["presentation_lut"] == "INVERSE"


def test_dicom_without_suffix_detected_by_content(tmp_path, radiograph_writer):
    path = radiograph_writer(tmp_path / "IMG0001", bone_image(10, 1))
    assert read_radiograph(path).image.shape == (32, 24)


def test_multiframe_dicom_is_refused(tmp_path, radiograph_writer):
    path = radiograph_writer(tmp_path / "multi.dcm", bone_image(10, 1), frames=3)
    with pytest.raises(InputError, match="multi-frame") as info:
        read_radiograph(path)
    assert str(path) in str(info.value)


def test_multipage_tiff_is_refused(tmp_path):
    path = tmp_path / "pages.tif"
    frames = [Image.fromarray(bone_image(9, 1).astype(np.uint8)) for _ in range(2)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(InputError, match="single-frame"):
        read_radiograph(path)


def test_missing_empty_and_unreadable(tmp_path):
    with pytest.raises(MissingFileError):
        read_radiograph(tmp_path / "none.png")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_radiograph(empty)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG garbage that is not an image" * 10)
    with pytest.raises(InputError, match="unreadable") as info:
        read_radiograph(junk)
    assert str(junk) in str(info.value) and "\n" not in str(info.value)
