"""Soft tissue around the spine: body outline, fat, muscle, organs, lungs, air and the CT table.

The cross-section of the trunk changes slowly along the body, so each layer is a per-slice
outline (centre and half-axes are length-D arrays that follow the spine) evaluated by
broadcasting: a handful of passes over the volume. Organs are ellipsoids in their own boxes.
Textures (bowel, lung, fat) come from smooth 2D noise at key slices interpolated along D.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from x2ct.phantoms.sdf import Grid, box_around, corners
from x2ct.phantoms.spec import CaseSpec
from x2ct.phantoms.texture import KeyTexture
from x2ct.phantoms.trunk import back_cover

AIR_HU = -1000.0
LUNG_HU = -850.0
GAS_HU = -950.0
SKIN_MM = 2.0

# Tissue classes of the optional tissue map (uint8).
AIR, FAT, MUSCLE, ORGAN, LUNG, GAS, TABLE, DISC, BONE = range(9)


@dataclass(frozen=True)
class Track:
    """Per-slice (length D) description of the spine, P-frame mm, and a level-to-depth map."""

    z: np.ndarray
    y_body: np.ndarray
    """Vertebral body centre, posterior coordinate."""
    x_body: np.ndarray
    depth: np.ndarray
    width: np.ndarray
    y_back: np.ndarray
    """Posterior extent of the spine (spinous process tips)."""
    level_z: tuple[np.ndarray, np.ndarray]
    """(level index T1 = 0 ... S1 = 17, z of the body centre) of the drawn levels, sorted."""

    def z_of_level(self, index: float) -> float:
        """z (mm) of a level position, extrapolated linearly beyond the drawn ones."""
        li, lz = self.level_z
        if len(li) == 1:
            return float(lz[0] + 30.0 * (index - li[0]))
        if index < li[0]:
            return float(lz[0] + (index - li[0]) * (lz[1] - lz[0]) / (li[1] - li[0]))
        if index > li[-1]:
            return float(lz[-1] + (index - li[-1]) * (lz[-1] - lz[-2]) / (li[-1] - li[-2]))
        return float(np.interp(index, li, lz))

    def level_at(self, z: np.ndarray) -> np.ndarray:
        """Level position at each z (inverse of ``z_of_level``)."""
        li, lz = self.level_z
        if len(li) == 1:
            return li[0] + (z - lz[0]) / 30.0
        lo_slope = (li[1] - li[0]) / (lz[1] - lz[0])
        hi_slope = (li[-1] - li[-2]) / (lz[-1] - lz[-2])
        out = np.interp(z, lz, li)
        out = np.where(z < lz[0], li[0] + (z - lz[0]) * lo_slope, out)
        return np.where(z > lz[-1], li[-1] + (z - lz[-1]) * hi_slope, out)


def _outline(y, x, y0, x0, half_w, half_ant, half_post) -> np.ndarray:
    """Normalised radius of a trunk outline: ellipse in front, flattened (power 4) at the back."""
    xt = ((x[None, None, :] - x0[:, None, None]) / half_w[:, None, None]) ** 2
    dy = y[None, :, None] - y0[:, None, None]
    front = (dy / half_ant[:, None, None]) ** 2
    back = (dy / half_post[:, None, None]) ** 4
    return xt + np.where(dy < 0, front, back).astype(np.float32)


def draw_body(
    ct: np.ndarray,
    grid: Grid,
    spec: CaseSpec,
    track: Track,
    rng: np.random.Generator,
    tissue: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Fill ``ct`` (D, H, W) with air, skin, fat, muscle, organs and lungs.

    Returns the per-slice thoracic cage (length-D arrays, P mm: ``cage_x``, ``cage_y`` centre,
    ``cage_half_w``, ``cage_half_d``) that bounds the lungs and carries the ribs, and ``back_y``.
    """
    body = spec.body
    _sd, sh, sw = grid.spacing
    y = (np.arange(grid.shape[1]) * sh).astype(np.float32)
    x = (np.arange(grid.shape[2]) * sw).astype(np.float32)
    level = track.level_at(track.z)
    thorax = np.clip((12.0 - level) / 3.0, 0.0, 1.0)  # 1 above ~T10, 0 below T12
    f32 = np.float32
    half_w = (body["half_width"] * (1.0 - 0.08 * thorax)).astype(f32)
    depth = (body["depth"] * (1.0 - 0.1 * thorax)).astype(f32)
    fat = (body["fat_mm"] * (1.0 - 0.3 * thorax)).astype(f32)
    wall = f32(body["muscle_mm"])
    y_smooth = np.mean(track.y_body) + 0.5 * (track.y_body - np.mean(track.y_body))
    cover = back_cover(spec.trunk, body["back_muscle_mm"], fat)
    y_back_skin = (y_smooth + (track.y_back - track.y_body) + cover).astype(f32)
    y0 = y_back_skin - depth / 2
    x0 = (np.mean(track.x_body) + 0.3 * (track.x_body - np.mean(track.x_body))).astype(f32)
    half = depth / 2
    r_out = _outline(y, x, y0, x0, half_w, half, half)
    r_in = _outline(y, x, y0, x0, half_w - fat, half - 1.3 * fat, half - 0.6 * fat)
    ct.fill(AIR_HU)
    inside = r_out < 1.0
    ct[inside] = np.float32(body["fat_hu"])
    ct[inside & (r_out > (1 - SKIN_MM / half_w[:, None, None]) ** 2)] = 30.0
    del r_out
    muscle = r_in < 1.0
    ct[muscle] = np.float32(body["soft_hu"])
    if tissue is not None:
        tissue[...] = AIR
        tissue[inside] = FAT
        tissue[muscle] = MUSCLE
    del inside, muscle, r_in
    # Thoracic cage: from the rib angles (behind the transverse processes) to the inner chest wall.
    back = track.y_body + track.depth / 2 + 22.0
    front = y0 - (half - 1.3 * fat - wall) + 4.0
    cage = {
        "cage_x": x0.astype(np.float32),
        "cage_y": ((back + front) / 2).astype(np.float32),
        "cage_half_w": (half_w - fat - wall - 4.0).astype(np.float32),
        "cage_half_d": ((back - front) / 2).astype(np.float32),
        "back_y": y_back_skin.astype(np.float32),
    }
    cavity = (
        _outline(y, x, y0, x0, half_w - fat - wall, half - 1.3 * fat - wall, half - fat - 3) < 1
    )
    _back_muscles(ct, grid, spec, track, level, cavity, y_back_skin - fat, tissue)
    if spec.config.organs:
        seed = int(rng.integers(0, 2**31))
        _viscera(ct, grid, spec, track, KeyTexture(seed, grid, 6.0), cavity, cage, tissue)
    else:
        front_of_spine = y[None, :, None] < (track.y_body - 0.2 * track.depth)[:, None, None]
        ct[cavity & front_of_spine] = np.float32(body["soft_hu"])
    if spec.table:
        _table(ct, grid, spec, float(np.max(y_back_skin)), float(np.mean(x0)), tissue)
    return cage


def _ellipse_columns(ct, grid, cx, cy, ax, ay, hu, tissue=None, cls=MUSCLE) -> None:
    """Paint per-slice ellipses (centre ``cx, cy``, half-axes ``ax, ay``: length-D arrays, mm).

    Slices where a half-axis is <= 0 are skipped; the work is limited to the ellipses' box.
    """
    sh, sw = grid.spacing[1:]
    valid = (ax > 0) & (ay > 0)
    if not np.any(valid):
        return
    rows = np.nonzero(valid)[0]
    d0, d1 = int(rows[0]), int(rows[-1]) + 1
    h0 = max(int(np.floor(np.min((cy - ay)[valid]) / sh)), 0)
    h1 = min(int(np.ceil(np.max((cy + ay)[valid]) / sh)) + 1, grid.shape[1])
    w0 = max(int(np.floor(np.min((cx - ax)[valid]) / sw)), 0)
    w1 = min(int(np.ceil(np.max((cx + ax)[valid]) / sw)) + 1, grid.shape[2])
    if h1 <= h0 or w1 <= w0:
        return
    y = (np.arange(h0, h1) * sh).astype(np.float32)
    x = (np.arange(w0, w1) * sw).astype(np.float32)
    sl = slice(d0, d1)
    safe_ax = np.where(valid, ax, 1.0)[sl, None, None]
    safe_ay = np.where(valid, ay, 1.0)[sl, None, None]
    inside = ((x[None, None, :] - cx[sl, None, None]) / safe_ax) ** 2 + (
        (y[None, :, None] - cy[sl, None, None]) / safe_ay
    ) ** 2 < 1.0
    inside &= valid[sl, None, None]
    ct[sl, h0:h1, w0:w1][inside] = np.float32(hu)
    if tissue is not None:
        tissue[sl, h0:h1, w0:w1][inside] = cls


def retroperitoneum(grid: Grid, track: Track, sl: slice) -> np.ndarray:
    """(slices, H, W) mask of the zone behind the front of the vertebral bodies, within ~95 mm
    of the spine laterally; its front curves backwards away from the midline (bowel wraps it)."""
    y = (np.arange(grid.shape[1]) * grid.spacing[1]).astype(np.float32)
    x = (np.arange(grid.shape[2]) * grid.spacing[2]).astype(np.float32)
    dx = x[None, None, :] - track.x_body[sl, None, None]
    front = (track.y_body - 0.2 * track.depth)[sl, None, None] + np.float32(0.004) * dx * dx
    return (y[None, :, None] > front) & (np.abs(dx) < 95.0)


def _back_muscles(ct, grid, spec, track, level, cavity, back_inner, tissue) -> None:
    """Psoas, quadratus lumborum and erector spinae as muscle in retroperitoneal fat.

    Below the chest the space behind the front of the vertebral bodies is fat, in which the
    muscles are drawn; the erector spinae fill the gutters beside the spinous processes from the
    laminae to the subcutaneous fat. Sizes are modelling choices (no morphometric source in the
    reference): the psoas grows from L1 to L5 up to the case's ``psoas_mm``.
    """
    body = spec.body
    xb, yb, depth, width = track.x_body, track.y_body, track.depth, track.width
    lumbar = np.clip((level - 11.0) / 5.0, 0.0, 1.0)
    abdomen = np.nonzero(level > 10.5)[0]
    if len(abdomen):
        sl = slice(int(abdomen[0]), int(abdomen[-1]) + 1)
        behind = cavity[sl] & retroperitoneum(grid, track, sl)
        ct[sl][behind] = np.float32(body["fat_hu"])
        if tissue is not None:
            tissue[sl][behind] = FAT
    r_psoas = np.where(level > 11.3, body["psoas_mm"] * np.maximum(lumbar, 0.3), 0.0)
    r_ql = np.where((level > 11.5) & (level < 16.5), 18.0 * lumbar, 0.0)
    front = yb + depth / 2 + 20.0
    r_erector_y = np.maximum((back_inner - front) / 2, 5.0)
    r_erector_x = 0.5 * body["back_muscle_mm"] * (0.8 + 0.2 * lumbar) + 12.0
    for side in (-1.0, 1.0):
        parts = (
            (xb + side * (width / 2 + 0.75 * r_psoas), yb + 0.05 * depth, r_psoas, 0.85 * r_psoas),
            (xb + side * (width / 2 + 40.0), yb + depth / 2 + 8.0, r_ql, 0.55 * r_ql),
            (xb + side * (r_erector_x + 2.0), front + r_erector_y, r_erector_x, r_erector_y),
        )
        for cx, cy, ax, ay in parts:
            ax = np.asarray(ax, dtype=np.float32)
            ay = np.asarray(ay, dtype=np.float32)
            _ellipse_columns(ct, grid, cx, cy, ax, ay, body["soft_hu"], tissue, MUSCLE)


def _viscera(ct, grid, spec, track, texture: KeyTexture, cavity, cage, tissue) -> None:
    """Bowel and mesenteric fat below the diaphragm, lungs and heart above it, organs.

    The chest and the abdomen are each computed only on the slices where they can occur.
    """
    body = spec.body
    y = (np.arange(grid.shape[1]) * grid.spacing[1]).astype(np.float32)
    x = (np.arange(grid.shape[2]) * grid.spacing[2]).astype(np.float32)
    xm = float(np.mean(cage["cage_x"]))
    yb = float(np.mean(track.y_body))
    front_depth = yb - float(np.mean(track.depth)) / 2
    # Diaphragm: a dome over each side (apex ~T10), lower at the sides and at the back.
    z_dome = track.z_of_level(9.3)
    lateral = ((np.abs(x[None, :] - xm) - 70.0) / 70.0) ** 2
    posterior = np.clip((y[:, None] - (yb - 60.0)) / 80.0, 0, 1)
    right = 1.0 / (1.0 + np.exp((x[None, :] - xm) / 20.0))
    z_dia = (z_dome + 20.0 * lateral + 35.0 * posterior - 15.0 * right).astype(np.float32)
    z = track.z
    chest_end = int(np.searchsorted(z, z_dia.max(), side="right"))
    abdomen_start = int(np.searchsorted(z, z_dia.min(), side="left"))
    organ_mask = cavity.copy()
    if abdomen_start < len(z):
        sl = slice(abdomen_start, len(z))
        above = z[sl, None, None] < z_dia[None]
        tex = texture.slab(sl.start, sl.stop)
        bowel = cavity[sl] & ~retroperitoneum(grid, track, sl) & ~above
        gas_cut = np.float32(-2.2 + 6.0 * body["bowel_gas"])
        mix = np.where(tex > 0.45, np.float32(body["fat_hu"]), np.float32(35.0) + 8.0 * tex)
        mix = np.where((tex < gas_cut) & (y[None, :, None] < yb - 60), np.float32(GAS_HU), mix)
        np.copyto(ct[sl], mix, where=bowel)
        organ_mask[sl] &= ~above
        if tissue is not None:
            tissue[sl][bowel] = ORGAN
            tissue[sl][bowel & (mix < -500)] = GAS
    if chest_end > 0:
        sl = slice(0, chest_end)
        organ_mask[sl] &= z[sl, None, None] >= z_dia[None]
        _chest(ct, tissue, sl, x, y, z_dia, texture, track, cage, xm, front_depth)
    _organs(ct, grid, spec, track, organ_mask, tissue)


def _chest(ct, tissue, sl, x, y, z_dia, texture, track, cage, xm, front_depth) -> None:
    """Lungs inside the thoracic cage, heart and mediastinum, on the slices ``sl``."""
    above = track.z[sl, None, None] < z_dia[None]
    # The cage's back bulges beside the spine (paravertebral gutters) and dips at the midline.
    dx = x[None, None, :] - cage["cage_x"][sl, None, None]
    dy = y[None, :, None] - cage["cage_y"][sl, None, None]
    near_spine = np.exp(-(((x[None, None, :] - track.x_body[sl, None, None]) / 28.0) ** 2))
    half_d = cage["cage_half_d"][sl, None, None] * np.where(dy > 0, 1.0 - 0.15 * near_spine, 1.0)
    cage_r = (dx / cage["cage_half_w"][sl, None, None]) ** 2 + (dy / half_d) ** 2
    yc = track.y_body[sl, None, None]
    spine_zone = (
        np.abs(x[None, None, :] - track.x_body[sl, None, None])
        < track.width[sl, None, None] / 2 + 5.0
    ) & (y[None, :, None] > yc - track.depth[sl, None, None] / 2 - 6.0)
    heart = (
        (
            ((x[None, :] - (xm + 15.0)) / 65.0) ** 2
            + ((y[:, None] - (front_depth - 60.0)) / 55.0) ** 2
        )
        < 1.0
    ) | ((np.abs(x[None, :] - xm) < 18.0) & (y[:, None] < front_depth))
    chest = above & (cage_r < 1.0) & ~spine_zone
    lungs = chest & ~heart[None]
    tex = texture.slab(sl.start, sl.stop)
    np.copyto(ct[sl], np.float32(LUNG_HU) + 25.0 * tex, where=lungs)
    np.copyto(ct[sl], np.float32(40.0) + 5.0 * tex, where=chest & heart[None])
    if tissue is not None:
        tissue[sl][lungs] = LUNG
        tissue[sl][chest & heart[None]] = ORGAN


def _ellipsoid_organ(ct, grid, centre, semi, hu, mask=None, tissue=None, cls=ORGAN) -> None:
    """Paint an axis-aligned ellipsoid (P-frame centre and semi-axes, mm) with soft edges.

    The normalised radius is a sum of three broadcast 1D terms (a few passes over the box); its
    distance scale is the smallest semi-axis, which only sets the softness of the edge.
    """
    centre, semi = np.asarray(centre, float), np.asarray(semi, float)
    box = box_around(corners(centre - semi, centre + semi), grid, 2.0)
    if box is None:
        return
    terms = []
    for k in range(3):
        pos = np.arange(box[k].start, box[k].stop, dtype=np.float32) * np.float32(grid.spacing[k])
        shape = [1, 1, 1]
        shape[k] = -1
        terms.append((((pos - np.float32(centre[k])) / np.float32(semi[k])) ** 2).reshape(shape))
    radius = np.sqrt(terms[0] + terms[1] + terms[2])
    occ = np.clip(0.5 - (radius - 1.0) * np.float32(semi.min() / grid.eps), 0.0, 1.0)
    if mask is not None:
        occ *= mask[box]
    view = ct[box]
    view += occ * (np.float32(hu) - view)
    if tissue is not None:
        tissue[box][occ > 0.5] = cls


def _organs(ct, grid, spec, track, viscera, tissue) -> None:
    """Liver, spleen, kidneys (in perirenal fat), aorta and inferior vena cava."""
    body = spec.body
    yb = float(np.mean(track.y_body))
    xb = float(np.mean(track.x_body))
    depth = float(np.mean(track.depth))
    zl = track.z_of_level
    liver = (zl(10.5), yb - depth / 2 - 45, xb - 75)
    _ellipsoid_organ(ct, grid, liver, (85, 80, 95), body["liver_hu"], viscera, tissue)
    _ellipsoid_organ(ct, grid, (zl(10.2), yb - 5, xb + 85), (50, 35, 30), 48.0, viscera, tissue)
    for side in (-1.0, 1.0):
        # Perirenal fat is thicker behind and lateral to the kidney than in front of it.
        kidney = np.array((zl(12.8 + (0.3 if side < 0 else 0.0)), yb + 8, xb + side * 72))
        fat_centre = kidney + np.array((0.0, 4.0, side * 4.0))
        _ellipsoid_organ(ct, grid, fat_centre, (58, 31, 34), body["fat_hu"], None, tissue, FAT)
        _ellipsoid_organ(ct, grid, kidney, (52, 24, 27), 32.0, None, tissue)
    z_top, z_bottom = float(track.z[0]), float(track.z[-1])
    z_bif = zl(15.5)
    for dx, r, hu, z_end in ((14.0, 10.0, body["aorta_hu"], z_bif), (-22.0, 11.0, 38.0, zl(16.5))):
        z0, z1 = z_top - 5, min(z_end, z_bottom + 5)
        if z1 <= z0:
            continue
        centre = ((z0 + z1) / 2, yb - depth / 2 - r - 3, xb + dx)
        _ellipsoid_organ(ct, grid, centre, ((z1 - z0) / 2 + 30, r, r), hu, None, tissue)


def _table(ct, grid, spec, back_y: float, x_centre: float, tissue) -> None:
    """A curved carbon-fibre table top (thin dense shells around foam) under the patient."""
    _, h, w = grid.shape
    y = (np.arange(h) * grid.spacing[1]).astype(np.float32)[:, None]
    x = (np.arange(w) * grid.spacing[2]).astype(np.float32)[None, :]
    top = back_y + spec.body["table_gap_mm"] - 0.0006 * (x - x_centre) ** 2
    depth = y - top
    core = (depth > 0) & (depth < 30.0) & (np.abs(x - x_centre) < 240.0)
    shell = core & ((depth < 2.0) | (depth > 27.0))
    ct[:, core] = -850.0
    ct[:, shell] = 250.0
    if tissue is not None:
        tissue[:, core] = TABLE
