"""scripts/repair_wheel.py's decisions on synthetic inputs (the real wheel is checked by
`make test-wheel`): the lowest manylinux policy, the bundled names, and the rule that the
project's own binaries never raise the wheel's baseline."""
import io
import os
import runpy
import zipfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
repair = runpy.run_path(os.path.join(ROOT, "scripts", "repair_wheel.py"))
Elf = repair["Elf"]


def elf(**versions):
    """An Elf needing {library: [versions]} (keyword names with dots spelled as underscores)."""
    needs = {name.replace("_", "."): set(v) for name, v in versions.items()}
    return Elf("x.so", sorted(needs), ["$ORIGIN"], needs, "EM_X86_64")


@pytest.mark.parametrize("needs, tag", [
    ([("GLIBC", "2.2.5")], 5),
    ([("GLIBC", "2.17"), ("GLIBCXX", "3.4.19")], 17),
    ([("GLIBC", "2.17"), ("GLIBCXX", "3.4.20")], 24),
    ([("GLIBC", "2.34"), ("GLIBCXX", "3.4.29"), ("CXXABI", "1.3.13")], 34),
    ([("GLIBC", "2.32"), ("GLIBCXX", "3.4.30")], 35),  # GCC 12's condition_variable::wait
    ([("GLIBC", "2.36"), ("GCC", "3.0")], 36),
])
def test_lowest_policy(needs, tag):
    glibc_minor, ruled_out = repair["lowest_policy"]([("lib.so", f, n) for f, n in needs])
    assert glibc_minor == tag
    # What rules out the policy below is exactly what it cannot allow.
    below = [m for m, _ in repair["POLICIES"] if m < tag]
    if below:
        limits = dict(repair["POLICIES"])[below[-1]]
        assert ruled_out and all(not repair["allows"](below[-1], limits, f, n) for _, f, n in ruled_out)


def test_unknown_families_and_versions_are_refused():
    with pytest.raises(repair["RepairError"]):
        repair["lowest_policy"]([("lib.so", "GLIBC", "2.99")])
    with pytest.raises(repair["RepairError"], match="GLIBC_PRIVATE"):
        repair["versions_needed"]({"lib.so": Elf("x", ["libc.so.6"], [], {"libc.so.6": {"GLIBC_PRIVATE"}}, "EM_X86_64")})


def test_bundled_names_keep_the_soname_suffix_and_hash_the_contents(tmp_path):
    lib = tmp_path / "libfoo.so.1.2.3"
    lib.write_bytes(b"one")
    first = repair["bundled_name"]("libfoo.so.1", str(lib))
    lib.write_bytes(b"two")
    second = repair["bundled_name"]("libfoo.so.1", str(lib))
    assert first.startswith("libfoo-") and first.endswith(".so.1") and len(first) == len("libfoo-12345678.so.1")
    assert first != second


def test_our_own_binaries_must_not_raise_the_baseline(tmp_path):
    libs = tmp_path / repair["LIBS_DIR"]
    bundled = {str(libs / "libtbb-0.so.12"): elf(**{"libc_so_6": ["GLIBC_2.34"]})}
    fine = {str(tmp_path / "hotloop" / "libhotloop.so"): elf(**{"libc_so_6": ["GLIBC_2.34"],
                                                             "libstdc++_so_6": ["GLIBCXX_3.4.29"]})}
    raising = {str(tmp_path / "hotloop" / "libhotloop.so"): elf(**{"libc_so_6": ["GLIBC_2.34"],
                                                                "libstdc++_so_6": ["GLIBCXX_3.4.30"]})}
    check = repair["own_code_raises_the_tag"]
    assert check(str(tmp_path), dict(bundled, **fine)) == []
    problems = check(str(tmp_path), dict(bundled, **raising))
    assert len(problems) == 1 and "GLIBCXX_3.4.30" in problems[0] and "manylinux_2_35" in problems[0]


def unpacked_wheel(root, mtime, umask_mode):
    """A small unpacked wheel at root whose files carry the given mtime and extra mode bits."""
    files = {"hotloop/__init__.py": b"x = 1\n", "hotloop/libhotloop.so": b"\x7fELF...",
             "hotloop-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nTag: py3-none-any\n",
             "hotloop-1.0.dist-info/METADATA": b"Name: hotloop\n"}
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.chmod(path, (0o755 if relative.endswith(".so") else 0o644) | umask_mode)
        os.utime(path, (mtime, mtime))
    return str(root)


def test_pack_is_reproducible(tmp_path, monkeypatch):
    # The same files, in other folders, with other mtimes and group-write bits: the same bytes,
    # every entry dated SOURCE_DATE_EPOCH with mode 0644 or 0755.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    outputs = []
    for name, mtime, extra in (("a", 1_000_000_000, 0), ("bb", 1_800_000_000, 0o020)):
        root = unpacked_wheel(tmp_path / name, mtime, extra)
        output = tmp_path / (name + ".whl")
        repair["pack"](root, "hotloop-1.0.dist-info", "manylinux_2_34_x86_64", str(output))
        outputs.append(output.read_bytes())
    assert outputs[0] == outputs[1]
    with zipfile.ZipFile(io.BytesIO(outputs[0])) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos][-1] == "hotloop-1.0.dist-info/RECORD"
        assert {i.date_time for i in infos} == {(2023, 11, 14, 22, 13, 20)}
        modes = {i.filename: i.external_attr >> 16 for i in infos}
        assert modes["hotloop/libhotloop.so"] == 0o100755
        assert modes["hotloop/__init__.py"] == 0o100644
        assert b"Tag: py3-none-manylinux_2_34_x86_64" in archive.read("hotloop-1.0.dist-info/WHEEL")


def test_pack_without_source_date_epoch_dates_entries_1980(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = unpacked_wheel(tmp_path / "a", 1_700_000_000, 0)
    repair["pack"](root, "hotloop-1.0.dist-info", "manylinux_2_34_x86_64", str(tmp_path / "a.whl"))
    with zipfile.ZipFile(tmp_path / "a.whl") as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
