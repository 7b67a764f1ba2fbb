"""What an encoding could not send as given: each adaptation or drop, reported once."""

from __future__ import annotations

from typing import Literal

from .. import ir


class Report:
    """The adaptations an encoding made, each reported once."""

    def __init__(self) -> None:
        self.items: list[ir.Adaptation] = []

    def add(self, param: str, action: Literal["dropped", "adapted"], reason: str) -> None:
        adaptation = ir.Adaptation(param, action, reason)
        if adaptation not in self.items:
            self.items.append(adaptation)
