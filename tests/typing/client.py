"""A typical client of hotloop, checked by mypy (make typecheck), never run.

The assignments state the types the annotations must give; the `type: ignore[...]` lines are
calls the annotations must reject (mypy's warn_unused_ignores fails the check if one stops being
an error). Extend it when a public function is added.
"""
import array
from typing import Any, Dict, List, Tuple

import numpy as np
import numpy.typing as npt

import hotloop


def sums(ints: List[int], floats: List[float], a: "npt.NDArray[np.int64]") -> None:
    exact: int = hotloop.parallel_sum(ints)
    exact = hotloop.parallel_sum(range(10))
    any_number: float = hotloop.parallel_sum(floats)
    from_array: float = hotloop.parallel_sum(a)
    from_buffer: float = hotloop.parallel_sum(array.array("d", floats))
    print(exact, any_number, from_array, from_buffer)
    hotloop.parallel_sum(1)  # type: ignore[call-overload]
    hotloop.parallel_sum(["1"])  # type: ignore[list-item]


def filters(ints: List[int], a: "npt.NDArray[np.int64]") -> None:
    kept: List[int] = hotloop.process_numbers(ints, 5)
    kept_array: "npt.NDArray[np.int64]" = hotloop.process_numbers(a, 5.5)
    kept_buffer: "array.array[int]" = hotloop.process_numbers(array.array("q", ints), 0)
    print(kept, kept_array, kept_buffer)
    hotloop.process_numbers(ints, "5")  # type: ignore[call-overload]


def processor(values: List[float], a: "npt.NDArray[np.float64]") -> Tuple[int, float, float]:
    with hotloop.DataProcessor(chunk_size=1000) as p:
        p.add_data(values)
        p.add_data(a)
        means: List[float] = p.process_chunks()
        size: int = len(p)
        chunk: int = p.chunk_size
        print(means, size, chunk, p.closed)
        p.clear()
        return p.get_statistics()


def scalars() -> None:
    text: str = hotloop.sum_as_string(5, 20)
    quotient: float = hotloop.divide(10, 4)
    threads: int = hotloop.get_num_threads()
    hotloop.set_num_threads(threads)
    print(text, quotient)
    hotloop.divide("1", 2)  # type: ignore[arg-type]
    hotloop.sum_as_string(1.5, 2)  # type: ignore[arg-type]
    hotloop.DataProcessor("10")  # type: ignore[arg-type]


def configuration() -> None:
    config: Dict[str, Dict[str, Any]] = hotloop.show_config(mode="dicts")
    printed: None = hotloop.show_config()
    print(config["blas"]["version"], printed)
    hotloop.show_config(mode="yaml")  # type: ignore[call-overload]


def errors() -> None:
    try:
        hotloop.divide(1.0, 0.0)
    except hotloop.DivisionByZeroError as e:
        status: "int | None" = e.status
        print(status)
    except hotloop.HotloopError:
        pass


def images(img: "npt.NDArray[np.uint16]", path: str) -> None:
    from PIL import Image

    blurred: "npt.NDArray[np.uint16]" = hotloop.gaussian_blur(img, 2.0)
    edges: "npt.NDArray[np.uint16]" = hotloop.process_image(img, "edges")
    picture: Image.Image = hotloop.sharpen(Image.open(path), 1.5, amount=0.5)
    gray: Image.Image = hotloop.grayscale(picture)
    print(blurred, edges, gray.mode)
    hotloop.box_blur(img, "2")  # type: ignore[arg-type]
    hotloop.gaussian_blur([[1, 2], [3, 4]])  # type: ignore[type-var]


# hotloop.dask (optional: Dask is only imported by `import hotloop.dask`)
from typing import Dict  # noqa: E402

import distributed  # noqa: E402
import dask.array  # noqa: E402
import dask.bag  # noqa: E402
import dask.dataframe  # noqa: E402
from dask.delayed import Delayed  # noqa: E402


def on_dask(client: distributed.Client) -> Delayed:
    import hotloop.dask

    threads: Dict[str, int] = hotloop.dask.setup(client)
    lazy: Delayed = hotloop.dask.monte_carlo_pi(10**9, 7, chunks=10**8, split_every=4)
    print(threads)
    hotloop.dask.monte_carlo_pi(10**9, 7, chunks=1.5)  # type: ignore[arg-type]
    return lazy  # dask.compute(lazy) gives the float (Dask's compute is not annotated)


def numpy_scalars_and_exact_numbers() -> None:
    from decimal import Decimal
    from fractions import Fraction

    total: float = hotloop.parallel_sum(list(np.arange(5)))
    kept: List[float] = hotloop.process_numbers([1.5, 2.5], np.float32(2.0))
    exact: List[float] = hotloop.process_numbers([Fraction(1, 2)], Decimal("0.25"))
    hotloop.set_num_threads(np.int64(2))
    text: str = hotloop.sum_as_string(np.uint64(5), 2)
    quotient: float = hotloop.divide(10**400, np.int64(7))
    estimate: float = hotloop.monte_carlo_pi(np.int64(1000), seed=np.uint64(3))
    print(total, kept, exact, text, quotient, estimate)
    hotloop.set_num_threads(2.0)  # type: ignore[arg-type]
    hotloop.divide("1", 2)  # type: ignore[arg-type]


def words(text: str, data: bytes) -> None:
    counts = hotloop.word_count(text)
    the: int = counts["the"]
    for word, n in hotloop.word_count(data, top=10, errors="replace"):
        print(word.upper(), n + 1)
    from_file: "dict[str, int]" = hotloop.word_count_file("corpus.txt", encoding="utf-8-sig")
    for word, n in hotloop.word_count_file("corpus.txt", 5):
        print(word, n)
    with hotloop.WordTable.from_text(text, part=0) as a:
        b = hotloop.WordTable.from_file("corpus.txt", start=0, end=1 << 20, part=1)
        merged: hotloop.WordTable = a.merge(b)
        as_dict: "dict[str, int]" = merged.to_dict()
        top: "list[tuple[str, int]]" = merged.to_dict(top=3)
        again = hotloop.WordTable.from_bytes(merged.to_bytes())
        print(the, from_file, as_dict, top, len(again))
    hotloop.word_count(3)  # type: ignore[call-overload]
    hotloop.WordTable.from_text(text, part="0")  # type: ignore[arg-type]


def exact_reductions(a: "npt.NDArray[np.float64]", parts: List["npt.NDArray[np.float64]"]) -> None:
    stats = hotloop.compute_stats(a, nan_policy="omit")
    mean: "int | float | bool" = stats["mean"]
    moments = hotloop.Moments.of(parts[0])
    for part in parts[1:]:
        moments = moments.merge(hotloop.Moments.of(part, nan_policy="propagate"))
    merged = moments.result()
    restored: hotloop.Moments = hotloop.Moments.from_bytes(moments.to_bytes())
    total = hotloop.ExactSum.of(a).merge(hotloop.ExactSum.of(parts[0]))
    value: "int | float" = total.value()
    blob: bytes = total.to_bytes()
    print(mean, merged, restored, value, hotloop.ExactSum.from_bytes(blob))
    with hotloop.DataProcessor(chunk_size=100) as p:
        partial: hotloop.ChunkPartial = hotloop.DataProcessor.partial(a, chunk_size=100, offset=len(p))
        p.add_partials([partial])
        state: bytes = p.to_bytes()
        copy: hotloop.DataProcessor = hotloop.DataProcessor.from_bytes(state)
        print(copy)
    hotloop.Moments.of(a, nan_policy=1)  # type: ignore[arg-type]


def words_on_dask(bag: "dask.bag.Bag", paths: List[str]) -> List[Delayed]:
    import hotloop.dask

    counts: Delayed = hotloop.dask.word_count(bag, top=10, split_every=4, errors="replace")
    files: Delayed = hotloop.dask.word_count_files(paths, blocksize="64MiB", encoding="utf-8-sig")
    one: Delayed = hotloop.dask.word_count_files("corpus.txt", 5, blocksize=None, split_every=False)
    try:
        print(one)
    except hotloop.dask.FileChangedError as e:
        changed: "str | None" = e.filename
        print(changed)
    hotloop.dask.word_count_files(paths, blocksize=1.5)  # type: ignore[arg-type]
    hotloop.dask.word_count_files(paths, top="3")  # type: ignore[arg-type]
    hotloop.dask.word_count(bag, errors=None)  # type: ignore[arg-type]
    return [counts, files]


def numbers_on_dask(x: "dask.array.Array", s: "dask.dataframe.Series", bag: "dask.bag.Bag",
                    p: hotloop.DataProcessor) -> List[Delayed]:
    import hotloop.dask

    total: Delayed = hotloop.dask.parallel_sum(x, split_every=4)
    words: Delayed = hotloop.dask.parallel_sum(bag)
    stats: Delayed = hotloop.dask.compute_stats(s, nan_policy="omit", split_every=False)
    hotloop.dask.add_data(p, x, scheduler="sync")  # eager: mutates p, returns None
    hotloop.dask.compute_stats(x, nan_policy=1)  # type: ignore[arg-type]
    hotloop.dask.compute_stats(bag)  # type: ignore[arg-type]
    hotloop.dask.parallel_sum(np.arange(3))  # type: ignore[arg-type]
    hotloop.dask.parallel_sum(x, split_every="2")  # type: ignore[arg-type]
    hotloop.dask.add_data([1.0], x)  # type: ignore[arg-type]
    return [total, words, stats]


async def on_asyncio(text: str, a: "npt.NDArray[np.float64]", img: "npt.NDArray[np.uint8]",
                     p: hotloop.DataProcessor) -> None:
    import hotloop.aio

    counts: Dict[str, int] = await hotloop.aio.word_count(text)
    the: int = counts["the"]
    for word, n in await hotloop.aio.word_count(text, top=10):
        print(word.upper(), n + 1)
    for word, n in await hotloop.aio.word_count_file("corpus.txt", 5):
        print(word, n)
    exact: int = await hotloop.aio.parallel_sum([1, 2, 3])
    total: float = await hotloop.aio.parallel_sum(a)
    kept: List[int] = await hotloop.aio.process_numbers([1, 5, 10], 4)
    kept_array: "npt.NDArray[np.float64]" = await hotloop.aio.process_numbers(a, 0.5)
    blurred: "npt.NDArray[np.uint8]" = await hotloop.aio.gaussian_blur(img, 2.0)
    product: "npt.NDArray[Any]" = await hotloop.aio.matrix_multiply(a, a.T)
    stats = await hotloop.aio.compute_stats(a, nan_policy="omit")
    pi: float = await hotloop.aio.monte_carlo_pi(10**6, seed=1)
    await hotloop.aio.add_data(p, a)
    means: List[float] = await hotloop.aio.process_chunks(p)
    summary: Tuple[int, float, float] = await hotloop.aio.get_statistics(p)
    moments: hotloop.Moments = await hotloop.aio.moments_of(a)
    exact_sum: hotloop.ExactSum = await hotloop.aio.exact_sum_of(a)
    table: hotloop.WordTable = await hotloop.aio.word_table_from_file("corpus.txt", part=1)
    partial: hotloop.ChunkPartial = await hotloop.aio.data_processor_partial(
        a, chunk_size=10, offset=0)
    await hotloop.aio.add_partials(p, [partial])
    await hotloop.aio.sleep(0.5)
    print(the, exact, total, kept, kept_array, blurred, product, stats["mean"], pi, means,
          summary, moments, exact_sum, table)
    await hotloop.aio.word_count(3)  # type: ignore[call-overload]
    await hotloop.aio.add_data([1.0], a)  # type: ignore[arg-type]
    await hotloop.aio.sleep("1")  # type: ignore[arg-type]
    await hotloop.aio.moments_of(a, nan_policy=1)  # type: ignore[arg-type]
