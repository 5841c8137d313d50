"""Every public function, method and class of hotloop, hotloop.aio and hotloop.dask has a
numpydoc docstring with the sections it needs: Parameters (naming every parameter) when it takes
arguments, Returns (or Yields) when it returns something, Raises, and Examples. Classes document
their constructor's parameters and carry the examples; exceptions say when they are raised.
(The examples themselves are run by test_doctests.py.)"""
import inspect
import re

import pytest

import hotloop

SECTION = re.compile(r"^(\w[\w ]*)\n-{3,}$", re.M)
# Calls that raise nothing by design (a Raises section would list nothing): name -> why.
RAISE_NOTHING = {
    "get_num_threads": "reads a number the library keeps",
    "ChunkPartial.to_bytes": "returns the bytes the partial holds",
    "WordTable.close": "frees the table; closing twice is a no-op",
    # Value objects that own their plain record: reading it cannot fail.
    "ExactSum.value": "reads the record", "ExactSum.to_bytes": "copies the record",
    "Moments.to_bytes": "copies the record",
    "dask.environment": "reads three version numbers",
}


def _modules():
    import hotloop.aio

    yield "", hotloop
    yield "aio.", hotloop.aio
    try:
        import hotloop.dask
    except hotloop.MissingDependencyError:  # Dask is optional
        return
    yield "dask.", hotloop.dask


def _public():
    """(name, object, kind) of every public function, class, method and property."""
    for prefix, module in _modules():
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                continue
            if not inspect.isclass(obj):
                if callable(obj):
                    yield prefix + name, obj, "function"
                continue
            if issubclass(obj, BaseException):
                yield prefix + name, obj, "exception"
                continue
            yield prefix + name, obj, "class"
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                if isinstance(member, property):
                    yield "%s%s.%s" % (prefix, name, attr), member, "property"
                elif isinstance(member, (classmethod, staticmethod)) or inspect.isfunction(member):
                    yield "%s%s.%s" % (prefix, name, attr), getattr(obj, attr), "function"


PUBLIC = list(_public())


def sections(doc):
    """{section title: its text} of a numpydoc docstring (the summary under "")."""
    doc = inspect.cleandoc(doc or "")
    parts = SECTION.split(doc)
    found = {"": parts[0]}
    for title, body in zip(parts[1::2], parts[2::2]):
        found[title] = body
    return found


def documented_parameters(text):
    """The names a Parameters section documents ("a, b : int", "**params", "name : str")."""
    names = set()
    for line in text.splitlines():
        if line and not line[0].isspace():
            head = line.split(" : ")[0]
            names.update(n.strip().lstrip("*") for n in head.split(","))
    return names


def parameters_of(fn, kind):
    target = fn.fget if kind == "property" else fn
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):  # pragma: no cover (every public callable has one)
        return [], None
    names = [p.name for p in signature.parameters.values() if p.name not in ("self", "cls")]
    return names, signature.return_annotation


def test_the_walk_sees_the_whole_api():
    names = {name for name, _, _ in PUBLIC}
    for expected in ("parallel_sum", "DataProcessor.add_data", "WordTable.from_file",
                     "Moments.of", "aio.word_count", "aio.add_data", "ShapeError"):
        assert expected in names


@pytest.mark.parametrize("name,obj,kind", PUBLIC, ids=[name for name, _, _ in PUBLIC])
def test_numpydoc_sections(name, obj, kind):
    doc = (obj.fget if kind == "property" else obj).__doc__
    assert doc and doc.strip(), "%s has no docstring" % name
    found = sections(doc)
    assert found[""].strip(), "%s: the docstring starts with a section, not a summary" % name
    if kind == "exception":
        return  # the summary says when it is raised
    if kind == "property":
        return  # a property's docstring is its description (numpydoc)
    if kind == "class":
        init = vars(obj).get("__init__")
        internal = init is None or (init.__doc__ or "").startswith("Internal")
        wanted = [] if internal else parameters_of(init, "function")[0]
        returns = None
    else:
        wanted, returns = parameters_of(obj, kind)
    missing = [s for s in ("Examples",) if s not in found]
    if kind == "function" and name not in RAISE_NOTHING and "Raises" not in found:
        missing.append("Raises")
    if kind == "class" and "Raises" not in found and wanted:
        missing.append("Raises")
    if wanted:
        if "Parameters" not in found:
            missing.append("Parameters")
        else:
            undocumented = [p for p in wanted if p not in documented_parameters(found["Parameters"])]
            assert not undocumented, "%s: parameters not in its Parameters section: %s" % (
                name, undocumented)
    if kind == "function" and returns not in (None, "None", inspect.Signature.empty) \
            and "Returns" not in found and "Yields" not in found:
        missing.append("Returns")
    assert not missing, "%s: numpydoc sections missing: %s" % (name, ", ".join(missing))


def test_a_broken_docstring_is_caught():
    def undocumented(x: int) -> int:
        """Does something."""
        return x

    with pytest.raises(AssertionError, match="Examples, Raises, Parameters, Returns"):
        test_numpydoc_sections("undocumented", undocumented, "function")
