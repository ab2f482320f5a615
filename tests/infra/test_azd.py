"""azure.yaml and .funcignore (the postdeploy hooks: test_postdeploy.py)."""

from __future__ import annotations

import fnmatch
import subprocess
from typing import Any

import yaml

from tests.infra.bicep import INFRA_DIR, REPO_ROOT

HOOK_SH = INFRA_DIR / "hooks" / "postdeploy.sh"
HOOK_PS1 = INFRA_DIR / "hooks" / "postdeploy.ps1"


# azure.yaml and the package.

def test_azure_yaml_deploys_this_folder_as_a_python_function_app() -> None:
    spec = yaml.safe_load((REPO_ROOT / "azure.yaml").read_text())
    assert spec["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    assert (REPO_ROOT / spec["infra"]["path"] / f"{spec['infra']['module']}.bicep").is_file()
    assert spec["services"] == {"api": {"project": ".", "language": "python", "host": "function"}}
    postdeploy = spec["hooks"]["postdeploy"]
    assert postdeploy["posix"]["shell"] == "sh"
    assert postdeploy["windows"]["shell"] == "pwsh"
    assert (REPO_ROOT / postdeploy["posix"]["run"]) == HOOK_SH
    assert (REPO_ROOT / postdeploy["windows"]["run"]) == HOOK_PS1


def test_the_service_name_matches_the_function_app_tag(bicep_trees: dict[str, dict[str, Any]]) -> None:
    spec = yaml.safe_load((REPO_ROOT / "azure.yaml").read_text())
    params = bicep_trees["infra/modules/functionapp.bicep"]["parameters"]
    assert list(spec["services"]) == [params["serviceName"]["default"]]


def _ignored(path: str, patterns: list[str]) -> bool:
    parts = path.split("/")
    for pattern in patterns:
        bare = pattern.rstrip("/")
        if any(fnmatch.fnmatch(part, bare) for part in parts) or fnmatch.fnmatch(path, bare):
            return True
    return False


def test_funcignore_ships_the_app_and_leaves_out_the_rest() -> None:
    lines = (REPO_ROOT / ".funcignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    shipped_files = ("function_app.py", "host.json", "requirements.txt", "shared/settings/__init__.py",
                     "shared/http.py", "shared/console/assets/console.js", "shared/console/assets/index.html")
    for shipped in shipped_files:
        assert not _ignored(shipped, patterns), shipped
    for left_out in ("tests/conftest.py", "emulators/acs/server.py", ".venv/bin/python", ".venv-infra/pycep/x",
                     "node_modules/azurite/package.json", "local.settings.json", "infra/main.bicep", "bench/x.py",
                     "harness/process.py", "pyproject.toml", "requirements-dev.txt", "README.md", ".ci/run",
                     "azure.yaml", "Makefile", "docs/deploy.md", "package.json", "local.settings.sample.json"):
        assert _ignored(left_out, patterns), left_out


def test_funcignore_leaves_out_every_top_level_entry_the_app_does_not_import() -> None:
    """Whatever is added at the top of the repo later must be shipped on purpose or ignored."""
    lines = (REPO_ROOT / ".funcignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    app = {"function_app.py", "host.json", "requirements.txt", "shared", ".funcignore"}
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True,
                             timeout=60).stdout.split()
    shipped = sorted({path.split("/")[0] for path in tracked if not _ignored(path, patterns)})
    assert set(shipped) == app, f"shipped but not part of the running app: {sorted(set(shipped) - app)}"
