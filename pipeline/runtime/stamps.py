"""The cheap status of a chain's inputs (its head stage's `state`): what lets a run with nothing new
skip planning, and a run with a few new or changed captures plan only those."""

from __future__ import annotations

import msgspec


class Stamps(msgspec.Struct, frozen=True):
    """`shared`: the status of what every unit depends on; `units`: each unit's own status. A stamp is
    "" when its files changed too recently to trust (a later change within the same clock tick could
    go unseen): such a unit is always planned again, and a "" shared stamp means every unit is."""

    shared: str
    units: dict[str, str]

    def changed(self, before: Stamps) -> set[str] | None:
        """The units that may have changed since `before`, new and gone ones too; None: all may have."""
        if not self.shared or self.shared != before.shared:
            return None
        now, then = self.units, before.units
        if now == then and all(now.values()):  # the usual case, compared at C speed
            return set()
        return {u for u in now.keys() | then.keys() if not now.get(u) or now.get(u) != then.get(u)}
