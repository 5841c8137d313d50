"""The examples in the public docstrings are run and must print what they show."""
import doctest
import importlib
import inspect

import pytest

import hotloop

# Every module that defines something in hotloop.__all__ (or is in it, as hotloop.aio), the
# module of hotloop.aio.sleep, and hotloop.dask (skipped without Dask).
MODULES = sorted({obj.__name__ if inspect.ismodule(obj) else obj.__module__
                  for obj in (getattr(hotloop, name) for name in hotloop.__all__)}
                 | {"hotloop._timing", "hotloop.dask"})


def test_every_public_module_is_collected():
    assert "hotloop._reduce" in MODULES and "hotloop._processor" in MODULES


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name):
    if module_name == "hotloop.dask":
        pytest.importorskip("distributed")
    module = importlib.import_module(module_name)
    threads = hotloop.get_num_threads()
    try:
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    finally:
        hotloop.set_num_threads(threads)
    assert result.failed == 0, "%d docstring example(s) failed in %s" % (result.failed, module_name)
