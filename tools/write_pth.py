"""Put the source roots on the virtualenv's path, so `python -m cveval_job` works without PYTHONPATH.

The repository is laid out as import roots (gen/python, libs, services) rather than one installable package;
a .pth file in site-packages is the standard way to add such roots to an environment.
"""

from __future__ import annotations

import site
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOTS = [ROOT / "gen" / "python", ROOT / "libs", ROOT / "services"]


def main() -> None:
    target = Path(site.getsitepackages()[0]) / "cveval-src.pth"
    target.write_text("".join(f"{p}\n" for p in ROOTS))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
