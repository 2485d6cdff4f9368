"""Threat: a role that may not read SSNs reads them off the page image (the record page
masks the SSN field, the image beside it showed it in clear)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from extract.template import load_templates
from faxflow.model import FormType
from faxflow.settings import Settings
from loaders.records import is_sensitive

SSN_TEMPLATE_PAGE = 4  # the fixture application's page 1 matched DHS-1171 page 4


def _ink_the_ssn_zone(settings: Settings, document_id: str) -> tuple[Path, list[tuple[int, ...]]]:
    """Write digits into every SSN zone of the stored page image, as an applicant would;
    returns the image path and the zones in pixels."""
    path = settings.var_dir / "pages" / document_id / "001.png"
    image = Image.open(path).convert("L")
    draw = ImageDraw.Draw(image)
    width, height = image.size
    template = load_templates(settings.templates_dir)[FormType.MDHHS_DHS1171]
    sx, sy = width / template.page_size[0], height / template.page_size[1]
    zones = [
        box
        for spec in template.fields_on_page(SSN_TEMPLATE_PAGE)
        if is_sensitive(spec.name)
        for box in spec.boxes or [spec.region]
        if box is not None
    ]
    assert zones, "the DHS-1171 template gives page 4 an SSN zone"
    pixel_zones = []
    for x0, y0, x1, y1 in zones:
        box = (int(x0 * sx), int(y0 * sy), int(x1 * sx), int(y1 * sy))
        pixel_zones.append(box)
        draw.rectangle(box, fill=255)
        draw.text((box[0] + 6, box[1] + 6), "1 2 3 4 5 6 7 8 9", fill=0)
    image.save(path)
    return path, pixel_zones


def _pixels(body: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(body)).convert("L"))


def test_ssn_zones_are_blacked_out_for_roles_without_reveal(
    client_for, docs, dash_settings: Settings
) -> None:
    path, zones = _ink_the_ssn_zone(dash_settings, docs.benefit)
    original = np.asarray(Image.open(path).convert("L"))
    url = f"/documents/{docs.benefit}/pages/1/image"
    for role in ("analyst", "reviewer"):
        response = client_for(role).get(url)
        assert response.status_code == 200
        shown = _pixels(response.content)
        assert shown.shape == original.shape
        for x0, y0, x1, y1 in zones:
            assert shown[y0:y1, x0:x1].max() == 0, f"{role} sees ink or paper in an SSN zone"
        # Outside the zones and the SSN field's box the page is untouched.
        assert (shown[:200] == original[:200]).all()


def test_admin_who_may_reveal_gets_the_page_whole(client_for, docs, dash_settings) -> None:
    path, _ = _ink_the_ssn_zone(dash_settings, docs.benefit)
    response = client_for("admin").get(f"/documents/{docs.benefit}/pages/1/image")
    assert response.status_code == 200
    assert response.content == path.read_bytes()


def test_pages_without_ssn_zones_are_served_unchanged(client_for, docs, dash_settings) -> None:
    """A CDC page has no SSN zone and no sensitive field: the analyst sees it whole."""
    stored = dash_settings.var_dir / "pages" / docs.xss_case / "001.png"
    response = client_for("analyst").get(f"/documents/{docs.xss_case}/pages/1/image")
    assert response.status_code == 200
    assert (_pixels(response.content) == np.asarray(Image.open(stored).convert("L"))).all()


def test_the_ssn_fields_crop_is_blacked_out_for_roles_without_reveal(
    client_for, docs, dash_settings: Settings
) -> None:
    """The supervision task shows each doubtful field's crop of the page: for the SSN
    field that crop is the SSN, so it is redacted like the page image it is cut from."""
    from dashboard.supervision import crop_box

    path, _ = _ink_the_ssn_zone(dash_settings, docs.benefit)
    url = f"/supervise/{docs.benefit}/fields/applicant_ssn/crop"
    shown = _pixels(client_for("reviewer").get(url).content)
    whole = _pixels(client_for("admin").get(url).content)
    assert shown.shape == whole.shape
    # Where the SSN was read (the field's box, inside the crop), the reviewer sees black.
    x0, y0, x1, y1 = 450, 300, 640, 330  # the fixture's applicant_ssn box
    with Image.open(path) as page:
        cx0, cy0, _, _ = crop_box((x0, y0, x1, y1), page.size)
    box = (slice(y0 - cy0, y1 - cy0), slice(x0 - cx0, x1 - cx0))
    assert shown[box].max() == 0, "a reviewer sees the SSN's box in the crop"
    assert whole[box].max() > 0  # the admin, who may reveal, sees the page there
