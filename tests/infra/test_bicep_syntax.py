"""Every .bicep file parses (pycep-parser 0.7.1); a syntax error names file, line and column.

The Bicep compiler cannot be downloaded here (docs/deploy.md), so this is the syntax gate;
tests/infra/test_rules.py checks references between files that a compiler would.
"""

from __future__ import annotations

from pathlib import Path

from tests.infra.bicep import INFRA_DIR, bicep_files, parse_bicep


def test_infra_has_a_main_file_and_modules() -> None:
    files = [p.relative_to(INFRA_DIR).as_posix() for p in bicep_files()]
    assert "main.bicep" in files
    assert len([f for f in files if f.startswith("modules/")]) >= 6, files


def test_every_bicep_file_parses() -> None:
    trees, errors = parse_bicep(bicep_files())
    assert not errors, "Bicep syntax errors:\n" + "\n".join(map(str, errors))
    assert len(trees) == len(bicep_files())
    for path, tree in trees.items():
        assert tree.get("resources") or tree.get("modules"), f"{path} declares no resource and no module"


def test_a_syntax_error_is_reported_with_file_line_and_column(tmp_path: Path) -> None:
    good = tmp_path / "good.bicep"
    good.write_text("param name string\noutput upper string = toUpper(name)\n")
    broken = tmp_path / "broken.bicep"
    broken.write_text(
        "param name string\n"
        "resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {\n"
        "  name: name\n"
        "  properties: {\n"
        "    tenantId: \n"
        "  }\n"
        "}\n"
    )
    trees, errors = parse_bicep([good, broken])
    assert list(trees) == [good.as_posix()]
    assert len(errors) == 1
    error = errors[0]
    assert (error.path, error.line, error.column) == (broken.as_posix(), 6, 3)
    assert str(error).startswith(f"{broken.as_posix()}:6:3: Unexpected token")
