from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command

from nuanxin.laws.models import CatalogueVersion

from .conftest import CATALOGUE


def test_load_then_export_yaml_and_xlsx(db: Any, tmp_path: Path) -> None:
    out = StringIO()
    call_command("law_catalogue_load", str(CATALOGUE), stdout=out)
    assert "2026.1" in out.getvalue() and "loaded" in out.getvalue()
    again = StringIO()
    call_command("law_catalogue_load", str(CATALOGUE), stdout=again)
    assert "unchanged" in again.getvalue()
    assert CatalogueVersion.objects.count() == 1

    exported = tmp_path / "c.yaml"
    call_command("law_catalogue_export", "--yaml", str(exported), stdout=StringIO())
    data = yaml.safe_load(exported.read_text())
    assert data["version"] == "2026.1" and len(data["tags"]) >= 20

    xlsx = tmp_path / "c.xlsx"
    call_command("law_catalogue_export", "--xlsx", str(xlsx), stdout=StringIO())
    assert xlsx.stat().st_size > 0


def test_a_bad_file_is_refused_with_a_clear_message(db: Any, tmp_path: Path) -> None:
    data = yaml.safe_load(CATALOGUE.read_text())
    data["tags"][0]["violated"] = ["no_such_article"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(CommandError) as exc:
        call_command("law_catalogue_load", str(bad), stdout=StringIO())
    assert "no_such_article" in str(exc.value)
    assert CatalogueVersion.objects.count() == 0
