"""How the contexts' events and snapshots are written as JSON, so that they read back as they were.

eventsourcing's JSON transcoder writes an enum member as its bare value (``json`` treats a
``StrEnum`` as a plain ``str`` and never asks for a transcoding) and cannot write a dataclass at
all. Events mostly carry plain values, but a snapshot carries an aggregate's whole state: an
``AccountType`` read back as ``str`` broke every no-overdraft account after a restart. So the
transcoder here walks the value before ``json`` sees it and tags every registered type (enum
members, frozen value objects, tuples, dates) so each one comes back as the same type.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from datetime import date
from types import ModuleType
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent, Transcoder, Transcoding

from config.correlation import current

PLAIN = (str, int, float, bool, type(None))


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class TupleAsList(Transcoding):
    type = tuple
    name = "tuple"

    def encode(self, obj: tuple[Any, ...]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> tuple[Any, ...]:
        return tuple(data)


class EnumAsValue(Transcoding):
    """An enum member by its value, tagged with its class so it reads back as the member."""

    def __init__(self, cls: type[enum.Enum], name: str) -> None:
        self.type = cls
        self.name = name

    def encode(self, obj: enum.Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> enum.Enum:
        return self.type(data)  # type: ignore[no-any-return]


class ValueObjectAsDict(Transcoding):
    """A (frozen) dataclass by its fields, restored without running its constructor again."""

    def __init__(self, cls: type[Any], name: str) -> None:
        self.type = cls
        self.name = name
        self.fields = [f.name for f in dataclasses.fields(cls)]

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self.fields}

    def decode(self, data: dict[str, Any]) -> Any:
        obj: Any = object.__new__(self.type)
        for name, value in data.items():
            object.__setattr__(obj, name, value)
        return obj


class ValueTranscoder(JSONTranscoder):
    """A JSON transcoder that tags registered types wherever they sit in the value."""

    def encode(self, obj: Any) -> bytes:
        return super().encode(self._tagged(obj))

    def _tagged(self, o: Any) -> Any:
        kind = type(o)
        if kind in PLAIN:
            return o
        transcoding = self.types.get(kind)
        if transcoding is not None:
            return {"_type_": transcoding.name, "_data_": self._tagged(transcoding.encode(o))}
        if kind is dict:
            return {key: self._tagged(value) for key, value in o.items()}
        if kind is list:
            return [self._tagged(value) for value in o]
        return o  # left to json, which refuses what nobody registered


def value_types(*modules: ModuleType) -> tuple[type[Any], ...]:
    """Every enum and dataclass defined in these domain modules: the values aggregates hold."""
    found: list[type[Any]] = []
    for module in modules:
        for value in vars(module).values():
            if not isinstance(value, type) or value.__module__ != module.__name__:
                continue
            if issubclass(value, enum.Enum) or dataclasses.is_dataclass(value):
                found.append(value)
    return tuple(found)


def register_values(transcoder: JSONTranscoder, types: Iterable[type[Any]]) -> None:
    for cls in types:
        # The module's own name and the class's: stable while the domain keeps its layout
        # (moving a value type means an alias here, as for any change to stored events).
        name = f"{cls.__module__}.{cls.__qualname__}"
        if issubclass(cls, enum.Enum):
            transcoder.register(EnumAsValue(cls, name))
        else:
            transcoder.register(ValueObjectAsDict(cls, name))


class CorrelatingMapper(Mapper[UUID]):
    """Writes the correlation and causation ids of what is being done (config/correlation.py)
    onto each event as it is stored, so every context's events carry them."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        correlation, causation = current()
        if (correlation or causation) and not isinstance(domain_event, Snapshot):
            held = vars(domain_event)
            if "correlation" not in held:  # an event stored twice keeps its first ids
                object.__setattr__(domain_event, "correlation", correlation)
                object.__setattr__(domain_event, "causation", causation)
        return super().to_stored_event(domain_event)


class ContextApplication(Application[UUID]):
    """The base of every context's application: events and snapshots that read back whole,
    each event with the ids of the request or event that led to it."""

    def construct_mapper(self) -> Mapper[UUID]:
        base = super().construct_mapper()
        return CorrelatingMapper(base.transcoder, base.compressor, base.cipher)

    # The domain modules whose enums and value objects the aggregates hold.
    domain_modules: ClassVar[tuple[ModuleType, ...]] = ()

    def construct_transcoder(self) -> Transcoder:
        transcoder = ValueTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(TupleAsList())
        register_values(transcoder, value_types(*self.domain_modules))


__all__ = ["UUID", "ContextApplication", "DateAsISO", "ValueTranscoder", "value_types"]
