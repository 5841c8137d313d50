"""HandleLock: the lock around every native call on one handle (DataProcessor, WordTable).

close() takes it too, so no call ever touches a freed handle. A call made from inside another
on the same thread (a progress callable, a signal handler) would wait for it forever, and so
would a child forked while another thread held it: both raise instead.
"""
import os
import threading
import weakref
from typing import Any, Optional

from ._errors import InternalError, InvalidArgumentError


class HandleLock:
    """The lock around every native call on one handle, refusing re-entry from the thread that
    holds it (which would deadlock), and use in a child forked while another thread held it."""

    __slots__ = ("_lock", "_owner", "_what", "_forked_mid_call", "__weakref__")

    def __init__(self, what: str) -> None:
        self._lock = threading.Lock()
        self._owner: Optional[int] = None  # the holder's thread id (only it sets its own id)
        self._what = what  # the class named in the error
        self._forked_mid_call = False
        _ALL_LOCKS.add(self)

    def __enter__(self) -> None:
        if self._forked_mid_call:
            raise InternalError(
                "%s: this process was forked while another thread was in one of its calls, so "
                "its state here is that call's unfinished one; use it in the parent, or fork "
                "between its calls" % self._what)
        me = threading.get_ident()
        if self._owner == me:
            raise InvalidArgumentError(
                "%s: called from inside another of its calls on this thread (a progress "
                "callable or a signal handler); call it once that call has returned"
                % self._what)
        self._lock.acquire()
        self._owner = me

    def __exit__(self, *exc: Any) -> None:
        self._owner = None
        self._lock.release()


# Every handle lock, for the fork handler: a lock held at the fork stays held in the child (its
# holder does not exist there), so the child's next call would wait forever.
_ALL_LOCKS: "weakref.WeakSet[HandleLock]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for lock in list(_ALL_LOCKS):
        if lock._lock.locked():
            lock._forked_mid_call = True
            lock._lock = threading.Lock()
            lock._owner = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
