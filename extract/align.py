"""Alignment of an input page to a template page: ORB features, ratio test, RANSAC homography.

Features are computed on a downscaled copy of the page (``WORK_SCALE`` of the working
resolution) because the printed form's structure (rules, boxes, bold labels) survives
downscaling while fax noise and handwriting strokes mostly do not, and matching gets ~4x
cheaper. ORB is rotation-invariant, so the homography also recovers 90°/180° turns that
cleanup's orientation detection missed. The homography is then lifted to full resolution
and the page is warped into the reference frame, where template boxes are plain
``points × dpi / 72`` pixel boxes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

WORK_SCALE = 0.5
"""Features are found at half the working resolution (≈100 dpi for 200 dpi pages)."""

ORB_FEATURES = 2000
RATIO = 0.8  # Lowe's ratio test
RANSAC_REPROJ_PX = 3.0  # in downscaled pixels
MIN_INLIERS = 12


@dataclass(frozen=True, slots=True, eq=False)
class PageFeatures:
    """ORB keypoints (as an (N, 2) float32 array, downscaled pixels) and descriptors."""

    points: np.ndarray
    descriptors: np.ndarray | None
    shape: tuple[int, int]  # (height, width) of the full-resolution page
    scale: float  # downscale factor the points are in

    @property
    def count(self) -> int:
        return 0 if self.descriptors is None else len(self.descriptors)


@dataclass(frozen=True, slots=True, eq=False)
class FeatureMatch:
    """How well a page matched a reference: ratio-test matches, RANSAC inliers and the
    full-resolution homography that maps page pixels onto reference pixels."""

    good: int
    inliers: int
    homography: np.ndarray | None  # 3x3, full-resolution page → reference pixels
    coverage: float = 0.0  # share of the reference's height its inliers span

    @property
    def inlier_ratio(self) -> float:
        return self.inliers / self.good if self.good else 0.0


_ORB: dict[int, Any] = {}


def _orb(features: int) -> Any:
    orb = _ORB.get(features)
    if orb is None:
        orb = _ORB[features] = cv2.ORB_create(  # type: ignore[attr-defined]
            nfeatures=features, scaleFactor=1.2, nlevels=8, fastThreshold=10
        )
    return orb


def page_features(
    image: np.ndarray, *, scale: float = WORK_SCALE, features: int = ORB_FEATURES
) -> PageFeatures:
    """The ``features`` strongest ORB features of a grey or binary page image."""
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    keypoints, descriptors = _orb(features).detectAndCompute(small, None)
    points = np.array([kp.pt for kp in keypoints], dtype=np.float32).reshape(-1, 2)
    return PageFeatures(points, descriptors, (image.shape[0], image.shape[1]), scale)


_MATCHER = cv2.BFMatcher(cv2.NORM_HAMMING)


def ratio_matches(query: PageFeatures, ref: PageFeatures) -> list[tuple[int, int]]:
    """(query index, reference index) pairs passing Lowe's ratio test."""
    if query.descriptors is None or ref.descriptors is None or ref.count < 2 or query.count < 2:
        return []
    pairs: list[tuple[int, int]] = []
    for candidates in _MATCHER.knnMatch(query.descriptors, ref.descriptors, k=2):
        if len(candidates) == 2 and candidates[0].distance < RATIO * candidates[1].distance:
            pairs.append((candidates[0].queryIdx, candidates[0].trainIdx))
    return pairs


def match_homography(
    query: PageFeatures, ref: PageFeatures, pairs: list[tuple[int, int]] | None = None
) -> FeatureMatch:
    """RANSAC homography from ``query`` to ``ref`` (full-resolution pixels)."""
    if pairs is None:
        pairs = ratio_matches(query, ref)
    if len(pairs) < MIN_INLIERS:
        return FeatureMatch(len(pairs), 0, None)
    src = query.points[[p[0] for p in pairs]]
    dst = ref.points[[p[1] for p in pairs]]
    homography, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, RANSAC_REPROJ_PX)
    if homography is None or mask is None:
        return FeatureMatch(len(pairs), 0, None)
    inliers = int(mask.sum())
    if inliers < MIN_INLIERS or not _plausible(homography):
        return FeatureMatch(len(pairs), 0, None)
    kept = dst[mask.ravel().astype(bool)]
    coverage = float(np.ptp(kept[:, 1])) / max(1.0, ref.shape[0] * ref.scale)
    lift = np.diag([1.0 / ref.scale, 1.0 / ref.scale, 1.0])
    drop = np.diag([query.scale, query.scale, 1.0])
    full = lift @ homography @ drop
    return FeatureMatch(len(pairs), inliers, full / full[2, 2], coverage)


def _plausible(homography: np.ndarray) -> bool:
    """A scanned page is a near-similarity transform: reject degenerate fits."""
    a = homography[:2, :2]
    det = float(np.linalg.det(a))
    if not 0.5 < abs(det) < 2.0 or det < 0:  # mirrored or wildly scaled
        return False
    return abs(float(homography[2, 0])) < 1e-3 and abs(float(homography[2, 1])) < 1e-3


def rotation_of(homography: np.ndarray) -> float:
    """Clockwise rotation (degrees, -180..180) the homography applies to the page."""
    return math.degrees(math.atan2(float(homography[1, 0]), float(homography[0, 0])))


def quarter_turns(homography: np.ndarray) -> int:
    """The page's rotation that cleanup missed, as 0/90/180/270 degrees clockwise."""
    return round(rotation_of(homography) / 90.0) % 4 * 90


def warp_to_reference(
    image: np.ndarray, homography: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """The page resampled into the reference frame (white outside the page)."""
    height, width = shape
    return cv2.warpPerspective(
        image,
        homography,
        (width, height),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=255,
    )


LOCAL_MARGIN_PX = 24  # printed context around a field used to register it locally
LOCAL_MAX_SHIFT_PX = 8
LOCAL_MIN_SCORE = 0.35


def local_shift(
    aligned: np.ndarray, reference: np.ndarray, box: tuple[int, int, int, int]
) -> tuple[int, int]:
    """The (dx, dy) that best registers ``aligned`` to ``reference`` around ``box``: page
    content printed at reference pixel p sits at p + (dx, dy). A global homography cannot
    follow a fax machine's uneven paper feed; this corrects the last few pixels per field
    using the form's own print (box borders, rules, label ends) around it."""
    height, width = reference.shape[:2]
    m, r = LOCAL_MARGIN_PX, LOCAL_MAX_SHIFT_PX
    x0, y0 = max(r, box[0] - m), max(r, box[1] - m)
    x1, y1 = min(width - r, box[2] + m), min(height - r, box[3] + m)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return (0, 0)
    template = reference[y0:y1, x0:x1]
    if float(template.std()) < 8.0:  # nothing printed here to register on
        return (0, 0)
    search = aligned[y0 - r : y1 + r, x0 - r : x1 + r]
    if search.shape[0] < template.shape[0] or search.shape[1] < template.shape[1]:
        return (0, 0)
    blur_t = cv2.GaussianBlur(template, (3, 3), 0)
    blur_s = cv2.GaussianBlur(search, (3, 3), 0)
    scores = cv2.matchTemplate(blur_s, blur_t, cv2.TM_CCOEFF_NORMED)
    _, best, _, where = cv2.minMaxLoc(scores)
    if not np.isfinite(best) or best < LOCAL_MIN_SCORE:
        return (0, 0)
    return (int(where[0]) - r, int(where[1]) - r)


def register_locally(
    aligned: np.ndarray, reference: np.ndarray, boxes: list[tuple[int, int, int, int]]
) -> np.ndarray:
    """A copy of ``aligned`` where each box (with a margin) is moved by its own
    :func:`local_shift`, so that afterwards every field sits exactly on its reference."""
    out = aligned.copy()
    height, width = aligned.shape[:2]
    pad = LOCAL_MARGIN_PX // 2
    for box in boxes:
        dx, dy = local_shift(aligned, reference, box)
        if dx == 0 and dy == 0:
            continue
        x0, y0 = max(0, box[0] - pad), max(0, box[1] - pad)
        x1, y1 = min(width, box[2] + pad), min(height, box[3] + pad)
        sx0, sy0, sx1, sy1 = x0 + dx, y0 + dy, x1 + dx, y1 + dy
        if sx0 < 0 or sy0 < 0 or sx1 > width or sy1 > height:
            continue
        out[y0:y1, x0:x1] = aligned[sy0:sy1, sx0:sx1]
    return out
