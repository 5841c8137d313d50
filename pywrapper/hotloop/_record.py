"""Value types held in a C record and identified by its canonical bytes (ExactSum, Moments)."""
from typing import Any


class ByteRecord:
    """Equality, hashing, pickling and copying through the record's canonical bytes.

    A subclass defines ``to_bytes()`` and the classmethod ``from_bytes(data)``, and never
    changes its record (a merge makes a new object): a copy is then the object itself.
    """

    __slots__ = ()

    def to_bytes(self) -> bytes:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    @classmethod
    def from_bytes(cls, data: bytes) -> Any:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __reduce__(self) -> Any:
        return (type(self).from_bytes, (self.to_bytes(),))

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: Any) -> Any:
        return self

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.to_bytes() == other.to_bytes()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self.to_bytes())
