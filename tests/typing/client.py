"""A typical client of hotloop, checked by mypy (make typecheck), never run.

The assignments state the types the annotations must give; the `type: ignore[...]` lines are
calls the annotations must reject (mypy's warn_unused_ignores fails the check if one stops being
an error). Extend it when a public function is added.
"""
import array
from typing import List, Tuple

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


def errors() -> None:
    try:
        hotloop.divide(1.0, 0.0)
    except hotloop.DivisionByZeroError as e:
        status: "int | None" = e.status
        print(status)
    except hotloop.HotloopError:
        pass


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
