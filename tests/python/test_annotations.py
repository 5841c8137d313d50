"""The public API is fully annotated (the package ships py.typed; `make typecheck` runs mypy):
every function and every public method of every class in hotloop.__all__, hotloop.aio.__all__
and hotloop.dask.__all__ has annotations for all its parameters and its return value."""
import inspect
import os

import pytest

import hotloop


def _modules():
    import hotloop.aio

    yield "", hotloop
    yield "aio.", hotloop.aio
    try:
        import hotloop.dask
    except hotloop.MissingDependencyError:  # Dask is optional
        return
    yield "dask.", hotloop.dask


def _public_callables():
    for prefix, module in _modules():
        for name, obj in _members(module):
            yield prefix + name, obj


def _members(module):
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            continue
        if inspect.isclass(obj):
            if issubclass(obj, BaseException):
                continue
            for attr, member in vars(obj).items():
                if attr.startswith("_") and attr not in ("__init__", "__enter__", "__exit__", "__len__"):
                    continue
                if isinstance(member, property):
                    yield "%s.%s" % (name, attr), member.fget
                elif inspect.isfunction(member):
                    yield "%s.%s" % (name, attr), member
        elif callable(obj):
            yield name, obj


PUBLIC = list(_public_callables())


def test_the_api_is_not_empty():
    names = [name for name, _ in PUBLIC]
    assert "parallel_sum" in names and "DataProcessor.add_data" in names
    assert "aio.word_count" in names and "aio.twin" in names


@pytest.mark.parametrize("name,fn", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_fully_annotated(name, fn):
    signature = inspect.signature(fn)
    missing = [p.name for p in signature.parameters.values()
               if p.name != "self" and p.annotation is inspect.Parameter.empty]
    assert not missing, "%s: parameters without annotations: %s" % (name, missing)
    assert signature.return_annotation is not inspect.Signature.empty, "%s: no return annotation" % name


def test_py_typed_marker_ships_with_the_package():
    assert os.path.isfile(os.path.join(os.path.dirname(hotloop.__file__), "py.typed"))
