"""Who is asking: the one value every context's commands and queries take.

Pure Python, no Django: the adapters (api/, frontend/) build it from the request once
(``actor_from_user``), and each context's policies decide, from it alone and the state in
hand, whether the actor may do what they ask at the stage the case is at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from config.roles import Role


@dataclass(frozen=True)
class Actor:
    """A signed-in person or machine client, as the contexts see them."""

    id: str  # the username, recorded as the actor of every event
    roles: frozenset[Role] = frozenset()
    name: str = ""  # as people read it ("Asha Khan"), for pages and notices
    # The provider organisation the actor is staff of, if any.
    organisation: UUID | None = None
    # The people (council references) the actor may act for: themselves, as nominee or
    # advocate, each with the relationship recorded when the link was made (the consent).
    on_behalf_of: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def system(cls, name: str = "careledger") -> Actor:
        """The system itself: a process manager or a scheduled task acting on recorded events."""
        return cls(id=name, name=name)

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def acts_for(self, council_ref: str) -> bool:
        return any(ref == council_ref for ref, _ in self.on_behalf_of)

    def relationship_to(self, council_ref: str) -> str:
        """How the actor is linked to the person ("person", "nominee", "advocate"), or ""."""
        return next((rel for ref, rel in self.on_behalf_of if ref == council_ref), "")

    @property
    def label(self) -> str:
        return self.name or self.id
