"""The command line starts without loading what only a command needs.

``warner --version`` and ``--help`` build the parser only; pydantic, Redis, the models and the
bot library load when a command runs. The detector stays importable without scikit-learn, so a
replay or the judge never pays for the models. (How fast it is: ``python bench/startup.py``.)
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pydantic", "sklearn", "scipy", "redis", "aiohttp", "telegram", "matplotlib", "jinja2", "rich", "structlog")


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_building_the_parser_loads_no_heavy_library() -> None:
    assert _loaded_after("import warner.cli; warner.cli.build_parser()") == []


def test_warner_version_prints_the_version_and_loads_nothing_heavy() -> None:
    code = (
        "import contextlib, io, warner.cli\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
        "    warner.cli.main(['--version'])\n"
        "assert out.getvalue().startswith('warner '), out.getvalue()\n"
    )
    assert _loaded_after(code) == []


def test_the_detector_imports_without_the_models() -> None:
    loaded = _loaded_after("import warner.detect.detector")
    assert "sklearn" not in loaded and "telegram" not in loaded and "aiohttp" not in loaded


def test_the_key_table_imports_nothing_but_itself() -> None:
    assert _loaded_after("import warner.store.keys") == []
