"""A tour of hotloop: the seed's examples on the seed's sizes, with results and times.

Run with `make demo` (or `PYTHONPATH=pywrapper python3 examples/tour.py` after `make build`).
"""
import array as stdlib_array  # main() has a local named array
import time

import hotloop


def timed(label, fn, *args, repeat=3, **kwargs):
    """Calls fn(*args, **kwargs) `repeat` times; prints the best time and returns the last result."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    print("  %-44s %9.2f ms" % (label, best * 1e3))
    return result


def main():
    print("hotloop %s on %d threads" % (hotloop.__version__, hotloop.get_num_threads()))

    print("\n1. Basic functions")
    print("  sum_as_string(5, 20) =", repr(hotloop.sum_as_string(5, 20)))
    print("  divide(10.0, 4.0) =", hotloop.divide(10.0, 4.0))
    try:
        hotloop.divide(10.0, 0.0)
    except ValueError as exc:
        print("  divide(10.0, 0.0) raises %s: %s" % (type(exc).__name__, exc))

    print("\n2. Parallel data processing")
    data = list(range(1_000_000))
    result = timed("parallel_sum(list(range(1_000_000)))", hotloop.parallel_sum, data)
    timed("builtin sum, for comparison", sum, data)
    print("  Sum:", result)
    huge = [2**62] * 8
    print("  parallel_sum([2**62] * 8) =", hotloop.parallel_sum(huge), "(exact, never wrapped)")
    kept = timed("process_numbers(data, 500_000)", hotloop.process_numbers, data, 500_000)
    print("  kept %d values, first %s, last %s" % (len(kept), kept[0], kept[-1]))

    try:
        import numpy as np
    except ImportError:
        np = None
        print("\n  (NumPy is not installed: array examples skipped)")
    if np is not None:
        arr = np.arange(10_000_000, dtype=np.int64)
        timed("parallel_sum(10M int64 ndarray)", hotloop.parallel_sum, arr)
        timed("numpy.sum, for comparison", np.sum, arr)
        timed("process_numbers(10M ndarray, 5M)", hotloop.process_numbers, arr, 5_000_000)
        timed("a[a > 5M] * 2, for comparison", lambda: arr[arr > 5_000_000] * 2)

    if np is not None:
        print("\n2b. NumPy integration")
        array = np.random.default_rng(0).random((1000, 1000))
        product = timed("matrix_multiply(1000x1000, 1000x1000)", hotloop.matrix_multiply, array, array)
        timed("numpy a @ b, for comparison", lambda: array @ array)
        print("  max |difference| from a @ b: %.2e" % np.max(np.abs(product - array @ array)))
        stats = timed("compute_stats(1M floats)", hotloop.compute_stats, array)
        print("  " + ", ".join("%s=%.6g" % item for item in stats.items()))
        doubled = timed("array_multiply(array, array)", hotloop.array_multiply, array, array)
        print("  equal to array * array:", bool(np.array_equal(doubled, array * array)))

        print("\n2c. Scientific computing and images")
        pi = timed("monte_carlo_pi(100_000_000, seed=1)", hotloop.monte_carlo_pi, 100_000_000, 1)
        print("  pi ~ %.6f (error %.1e)" % (pi, pi - 3.141592653589793))
        image = (np.indices((2160, 3840)).sum(axis=0) % 256).astype(np.uint8)[..., None].repeat(3, 2)
        timed("gaussian_blur(4K RGB image, sigma=2)", hotloop.process_image, image, "blur", sigma=2.0)
        timed("sobel_edges(4K RGB image)", hotloop.process_image, image, "edges")

    print("\n3. Class-based API")
    with hotloop.DataProcessor(chunk_size=1000) as processor:
        timed("processor.add_data(data)", processor.add_data, data, repeat=1)
        stats = timed("processor.get_statistics()", processor.get_statistics)
        print("  %r: count=%d mean=%.1f std=%.3f" % (processor, *stats))
        means = timed("processor.process_chunks()", processor.process_chunks, repeat=1)
        print("  %d chunk means, first %.1f, last %.1f; %d values left" % (len(means), means[0], means[-1], len(processor)))

    print("\n4. Async: await the engine without blocking the event loop")
    import asyncio

    async def together():
        return await asyncio.gather(hotloop.aio.sleep(0.2), hotloop.aio.parallel_sum(range(10**6)))

    start = time.perf_counter()
    _, total = asyncio.run(together())
    print("  aio.sleep(0.2) and aio.parallel_sum together: %.0f ms, sum %d" % ((time.perf_counter() - start) * 1e3, total))

    print("\n5. Errors are Python exceptions")
    # A list never overflows (process_numbers([2**62], 0) is [2**63], as the comprehension
    # gives); an int64 array.array does: 2**62 * 2 is beyond int64, an error instead of a wrap.
    for label, call in (
        ("parallel_sum([1, 'two'])", lambda: hotloop.parallel_sum([1, "two"])),
        ("process_numbers(array('q', [2**62]), 0)",
         lambda: hotloop.process_numbers(stdlib_array.array("q", [2**62]), 0)),
        ("DataProcessor(0)", lambda: hotloop.DataProcessor(0)),
    ):
        try:
            result = call()
        except hotloop.HotloopError as exc:
            print("  %-40s -> %s: %s" % (label, type(exc).__name__, exc))
        else:  # an example that raises nothing is a wrong example: say so, do not hide it
            raise SystemExit("tour: %s returned %r instead of raising" % (label, result))


if __name__ == "__main__":
    main()
