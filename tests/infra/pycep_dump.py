"""Parse Bicep files with pycep-parser and print one JSON object: path -> {"tree": ...} or {"error": ...}.

Runs inside the infra venv (``.venv-infra/pycep/bin/python tests/infra/pycep_dump.py FILE...``),
because pycep-parser 0.7.1 cannot share an environment with checkov. Imports nothing from the repo.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def parse(paths: list[str]) -> dict[str, dict[str, Any]]:
    from lark.exceptions import UnexpectedInput
    from pycep import BicepParser

    parser = BicepParser()
    results: dict[str, dict[str, Any]] = {}
    for path in paths:
        try:
            results[path] = {"tree": parser.parse(file_path=Path(path))}
        except UnexpectedInput as error:
            first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
            results[path] = {"error": {"line": error.line, "column": error.column, "message": first_line}}
    return results


if __name__ == "__main__":
    json.dump(parse(sys.argv[1:]), sys.stdout, default=str)
