"""The benchmark machinery itself (benchmarks/harness.py, report.py): timing, goals, the memory
probe, and the result files. No speed is asserted here; speed lives in `make bench`."""
import json
import os
import pathlib
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))

import harness  # noqa: E402
from harness import Case, Memory, Result, Timing  # noqa: E402


def _case(**kw):
    base = dict(group="g", name="n", setup=lambda: ([1, 2, 3],), hotloop=sum, peers={"peer": sum})
    base.update(kw)
    return Case(**base)


def test_run_case_times_every_contender_and_checks_results():
    case = _case(peers={"same": sum, "different": lambda xs: sum(xs) + 1}, same=lambda a, b: a == b)
    ours, peers, problems = harness.run_case(case, repeat=3)
    assert len(ours.runs) == 3 and ours.median > 0
    assert set(peers) == {"same", "different"}
    assert problems == ["result differs from different"]


def test_contenders_run_interleaved():
    order = []
    case = _case(hotloop=lambda xs: order.append("h"),
                 peers={"p": lambda xs: order.append("p"), "q": lambda xs: order.append("q")})
    harness.run_case(case, repeat=3)
    assert "".join(order) == "hpq" + "hpq" * 3  # warm-ups, then one run of each per round


def test_inner_and_self_timed():
    t = harness.time_call(lambda: 0.25, (), repeat=3, self_timed=True)
    assert t.runs == [0.25, 0.25, 0.25] and t.median == 0.25 and t.spread == 0.0
    calls = []
    harness.time_call(lambda: calls.append(1), (), repeat=2, inner=5)
    assert len(calls) == 1 + 2 * 5  # warm-up, then 2 runs of 5 calls


def test_goal_verdicts():
    timing = lambda s: Timing("x", s, 0.0, [s])  # noqa: E731
    r = Result(_case(goal_peer="peer", goal=2.0), timing(1.0), {"peer": timing(3.0)}, [])
    assert r.speedup("peer") == 3.0 and r.goal_met() is True
    r = Result(_case(goal_peer="peer", goal=2.0), timing(2.0), {"peer": timing(3.0)}, [])
    assert r.goal_met() is False
    r = Result(_case(limit=1e-3), timing(2e-3), {"peer": timing(1.0)}, [])
    assert r.goal_met() is False
    assert Result(_case(), timing(1.0), {"peer": timing(1.0)}, []).goal_met() is None


def _probe_in_fresh_interpreter(setup, call):
    """Memory(rss, traced) of harness.probe(call) run in a new interpreter with the probe's
    environment, as measure_memory runs it: what this process allocated before (other tests)
    cannot hide a probe's growth in memory it already holds."""
    import subprocess
    import sys

    import hotloop

    code = "import harness; %s; m = harness.probe(%s, ()); print(m.rss, m.traced)" % (setup, call)
    bench_dir = os.path.dirname(harness.__file__)
    package_dir = os.path.dirname(os.path.dirname(hotloop.__file__))
    env = dict(os.environ, **harness.PROBE_ENV, PYTHONPATH=os.pathsep.join([bench_dir, package_dir]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rss, traced = map(int, out.stdout.split())
    return rss, traced


def test_memory_probe_sees_python_and_native_allocations():
    # b"x" * n writes every page (bytearray(n) may get calloc'ed pages never touched).
    rss, traced = _probe_in_fresh_interpreter("pass", 'lambda: b"x" * 60_000_000')
    assert rss >= 50_000_000 and traced >= 60_000_000
    rss, traced = _probe_in_fresh_interpreter("pass", "lambda: None")
    assert rss < 5_000_000 and traced < 100_000
    # Native memory: a 64 MB result in C++ memory, invisible to tracemalloc (why RSS is the
    # headline).
    rss, traced = _probe_in_fresh_interpreter(
        "import numpy as np, hotloop; a = np.arange(8_000_000, dtype=np.int64)",
        "lambda: hotloop.process_numbers(a, -1)")
    assert rss >= 50_000_000
    assert traced < 1_000_000


def test_report_writes_markdown_json_and_png(tmp_path):
    import report  # needs matplotlib (make deps-test installs it)

    timing = lambda s: Timing("x", s, 0.1, [s])  # noqa: E731
    results = [
        Result(_case(name="fast case", goal_peer="peer", goal=1.5), timing(1e-3),
               {"peer": timing(3e-3)}, [], {"hotloop": Memory(10**6, 0), "peer": Memory(2 * 10**6, 10**6)}),
        Result(_case(name="limit case", limit=50e-3, note="a note"), timing(60e-3),
               {"other": timing(30e-3)}, ["result differs from other"]),
    ]
    results.append(Result(_case(name="alone", peers={}, limit=1.0), timing(0.5), {}, []))
    paths = report.write_all(results, [], str(tmp_path), quick=True, memory=True, seconds=1.0)
    md, js, png = (pathlib.Path(p).read_bytes() for p in paths)
    text = md.decode("utf-8")
    assert "| CPU | %s |" % report.cpu_model() in text
    assert "| fast case | peer | 1.00 ms ±10% | 3.00 ms ±10% | 3.00x | ≥ 1.5x | met |" in text
    assert "**MISSED**" in text and "a note" in text and "result differs from other" in text
    assert "| g | alone | – | 500.00 ms ±10% | – | – | hotloop ≤ 1.00 s | met |" in text
    data = json.loads(js)
    assert [row["verdict"] for row in data["rows"]] == ["met", "MISSED"]
    assert png.startswith(b"\x89PNG")


def test_each_case_module_is_finished_after_its_last_case(monkeypatch, tmp_path):
    """bench.py calls a case module's finish() once, right after that module's last case (the
    dask module closes its LocalCluster there, before the next groups are timed)."""
    import bench
    import report

    events = []
    selected = [("a", _case(name="a1")), ("a", _case(name="a2")), ("b", _case(name="b1"))]
    monkeypatch.setattr(bench, "load_cases", lambda quick, only: (selected, []))
    monkeypatch.setattr(bench, "run_case", lambda case, repeat: (
        events.append(case.name) or Timing("x", 1.0, 0.0, [1.0]), {}, []))
    monkeypatch.setattr(bench, "finish_module", lambda name: events.append("finish " + name))
    monkeypatch.setattr(report, "write_all", lambda *a, **kw: [])
    assert bench.main(["--no-memory", "--output", str(tmp_path)]) == 0
    assert events == ["a1", "a2", "finish a", "b1", "finish b"]


def test_the_dask_cases_close_their_cluster_in_finish(monkeypatch):
    from cases import dask as dask_cases

    closed = []

    class Closable:
        def __init__(self, name):
            self.name = name

        def close(self):
            closed.append(self.name)

    monkeypatch.setattr(dask_cases, "_STATE", {"client": Closable("client"),
                                               "cluster": Closable("cluster")})
    dask_cases.finish()
    dask_cases.finish()  # again (atexit): nothing left to close
    assert closed == ["client", "cluster"] and dask_cases._STATE == {}
