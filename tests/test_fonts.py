"""Scripts the house fonts lack are set in fonts shipped with the installed packages, and a
character no shipped font has is a warning naming it."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from reportgen.fonts import SURELY_COVERED, covered, faces, fallback_dir, uncovered_characters
from tests.conftest import FILES, write_project
from tests.pdftext import flat, page_texts

ARMENIAN = "Հայաստան"


def pdf_fonts(pdf: Path) -> set[str]:
    names = set()
    for page in PdfReader(pdf).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_armenian_is_set_in_the_shipped_dejavu(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/one.md"] = FILES["content/one.md"].replace(
        "# Summary {#sec-summary}", f"# Summary: {ARMENIAN} {{#sec-summary}}"
    ) + f"\nThe country calls itself {ARMENIAN} (*{ARMENIAN}*, **{ARMENIAN}**); Greek Ελλάδα, Russian Россия.\n"
    project = write_project(tmp_path / "proj", files)
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "pdf")
    assert status == 0, err
    assert "no shipped font" not in err, err
    pdf = project / "build" / "test-brief.pdf"
    text = flat("\n".join(page_texts(pdf)))
    assert f"The country calls itself {ARMENIAN} ({ARMENIAN}, {ARMENIAN})" in text
    assert f"Summary: {ARMENIAN}" in text
    fonts = pdf_fonts(pdf)
    # The family names are reportgen's own: a DejaVu installed on the machine would be named
    # plain "DejaVu-Serif"; only the files from matplotlib's folder carry these.
    assert any(name.endswith("+reportgen-DejaVu-Serif") for name in fonts), fonts  # the body text
    assert any(name.endswith("+reportgen-DejaVu-Sans") for name in fonts), fonts  # the heading
    assert not any("DejaVu" in name and "reportgen" not in name for name in fonts), sorted(fonts)
    assert any("Source-Serif-Pro" in name for name in fonts), "Latin, Greek and Cyrillic stay in the house font"


def test_a_character_no_shipped_font_has_is_a_warning_naming_it(tmp_path: Path, run) -> None:
    files = dict(FILES)
    files["content/two.md"] = FILES["content/two.md"] + "\nThe sign 中 and the letter क, twice: 中.\n"
    project = write_project(tmp_path / "proj", files)
    line = files["content/two.md"].splitlines().index("The sign 中 and the letter क, twice: 中.") + 1
    status, out, _ = run("check", "--project", str(project))
    assert status == 0, out
    warnings = [x for x in out.splitlines() if "no shipped font" in x]
    assert warnings == [
        f"content/two.md:{line}:10: warning: no shipped font has '中' (U+4E2D CJK UNIFIED IDEOGRAPH-4E2D): "
        "the PDF shows it in whatever font the machine has, or as a box",
        f"content/two.md:{line}:27: warning: no shipped font has 'क' (U+0915 DEVANAGARI LETTER KA): "
        "the PDF shows it in whatever font the machine has, or as a box",
    ], out
    status, _, err = run("--quiet", "build", "--project", str(project), "--format", "pdf")
    assert status == 0 and err.count("no shipped font has") == 2, err

    config = project / "reportgen.yml"
    config.write_text(config.read_text(encoding="utf-8") + "checks:\n  missing_glyphs: false\n", encoding="utf-8")
    status, out, _ = run("check", "--project", str(project))
    assert status == 0 and "no shipped font" not in out, out


def test_the_faces_come_from_installed_packages() -> None:
    assert all(face.path.is_file() for face in faces()), [f.path for f in faces() if not f.path.is_file()]
    assert fallback_dir().parts[-4:] == ("matplotlib", "mpl-data", "fonts", "ttf")
    have = covered()
    assert all(ord(c) in have for c in ARMENIAN + "Ελλάδα Россия ქართული עברית")
    assert uncovered_characters("plain\u00a0text\u200b, Հայ, 中") == ["中"]  # spaces and format marks draw nothing


def test_the_blocks_taken_as_covered_are() -> None:
    import unicodedata

    have = covered()
    for first, last in SURELY_COVERED:
        drawn = [c for c in range(first, last + 1) if unicodedata.category(chr(c)) not in ("Cn", "Cc", "Cf", "Zs", "Zl", "Zp")]
        assert drawn and all(c in have for c in drawn), [hex(c) for c in drawn if c not in have]


def test_a_section_outside_the_project_is_not_scanned_for_glyphs(tmp_path: Path, run) -> None:
    (tmp_path / "secret.md").write_text("A secret 中.\n", encoding="utf-8")
    files = dict(FILES)
    files["reportgen.yml"] = FILES["reportgen.yml"].replace("  - content/two.md\n", "  - content/two.md\n  - ../secret.md\n")
    project = write_project(tmp_path / "proj", files)
    status, out, _ = run("check", "--project", str(project))
    assert status == 1
    assert out.splitlines() == ["reportgen.yml:15:5: error: path '../secret.md' is outside the project"], out
