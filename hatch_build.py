"""The wheel's build hook (pyproject.toml, [tool.hatch.build.targets.wheel.hooks.custom]): the
Swedish catalogue compiled into the package. The .mo files are build output (.gitignore,
`make translations` in a checkout), so without this an installed wheel would speak English only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogues(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return  # a checkout compiles its own (`make translations`)
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        root = Path(self.root)
        for po in sorted(root.glob("fakturera/locale/*/LC_MESSAGES/*.po")):
            with po.open("rb") as source:
                catalog = read_po(source)
            mo = po.with_suffix(".mo")
            # Written beside and renamed over: a test process of the same checkout loading the
            # catalogue meanwhile (the suites run side by side) reads the old file or the new.
            # A write that fails leaves no partial file for a later wheel to pick up.
            partial = mo.with_suffix(f".mo.{os.getpid()}")
            try:
                with partial.open("wb") as target:
                    write_mo(target, catalog)
                os.replace(partial, mo)
            finally:
                partial.unlink(missing_ok=True)
            build_data["artifacts"].append(mo.relative_to(root).as_posix())
