"""Python code run in a new process, which prints its result as JSON."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.paths import REPO


def json_from(code: str, first: Path, cwd: Path) -> Any:
    """What `code` prints as JSON, run with `first` first on its path, then the checkout.

    `-c` puts the working folder `cwd` even before `first`: a `mailenv` folder there is
    the one imported.
    """
    path = [str(first), str(REPO), os.environ.get("PYTHONPATH", "")]
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)},
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
