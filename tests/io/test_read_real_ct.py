"""The real lumbar CT (TotalSegmentator example, stored RAS) in the model frame."""

from __future__ import annotations

import nibabel as nib
import numpy as np

from x2ct.io import read_volume


def test_real_ct_model_frame_shape_and_spacing(real_ct_dir):
    ct = read_volume(real_ct_dir / "ct.nii.gz")
    stored = nib.load(real_ct_dir / "ct.nii.gz")
    assert nib.aff2axcodes(stored.affine) == ("R", "A", "S")
    nx, ny, nz = stored.shape
    assert ct.shape == (nz, ny, nx)
    assert ct.spacing == (3.0, 3.0, 3.0)
    assert -1300 < ct.array.min() < -900 and ct.array.max() > 1000


def test_real_ct_spine_is_posterior_and_levels_run_downwards(real_ct_dir):
    ct = read_volume(real_ct_dir / "ct.nii.gz")
    labels = read_volume(real_ct_dir / "labels.nii.gz")
    assert labels.shape == ct.shape
    np.testing.assert_allclose(labels.affine, ct.affine)
    body = ct.array > -300
    spine = labels.array > 0
    body_h = np.argwhere(body)[:, 1].mean()
    spine_h = np.argwhere(spine)[:, 1].mean()
    # The spine lies behind the body centre: a larger H index (H runs anterior -> posterior).
    assert spine_h > body_h + 5
    # TotalSegmentator v2: L1 = 31 ... L5 = 27; superior levels must have a smaller D index.
    centre_d = {lab: np.argwhere(labels.array == lab)[:, 0].mean() for lab in (31, 30, 29, 28, 27)}
    assert list(centre_d.values()) == sorted(centre_d.values())
    # The spine is roughly central left-right.
    spine_w = np.argwhere(spine)[:, 2].mean()
    assert abs(spine_w - ct.shape[2] / 2) < 0.15 * ct.shape[2]
