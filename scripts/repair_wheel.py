"""Turns the linux_x86_64 wheel into a self-contained manylinux wheel, as auditwheel repair does.

    repair_wheel.py dist/hotloop-V-py3-none-linux_x86_64.whl   # writes ...-manylinux_2_X_x86_64.whl
    repair_wheel.py --check dist/hotloop-V-py3-none-manylinux_2_X_x86_64.whl

Repair (auditwheel is not packaged in Debian 12, and current releases refuse Debian's patchelf
0.14.3, so this is the project's own, on patchelf and pyelftools):

1. Every shared library the wheel's ELF files need, directly or through each other, that is not
   on the manylinux allow-list (libc, libm, libstdc++, libgcc_s, ...) is copied into
   hotloop.libs/ next to the package, under a new name that holds a hash of its contents
   (libtbb.so.12 -> libtbb-1a2b3c4d.so.12), with that name as its SONAME.
2. Every NEEDED entry naming a bundled library is rewritten to the new name, and every ELF file
   gets a RUNPATH relative to $ORIGIN. The loader then finds the bundled copies by names no other
   library has: a system or NumPy copy of TBB or OpenBLAS already loaded in the process is never
   used instead of ours, and ours is never used instead of theirs.
3. The platform tag is the lowest manylinux_2_X whose symbol-version limits (glibc, libstdc++,
   libgcc_s; the table below) cover every version the ELF files need: computed from the
   binaries, never written by hand. The report names the binaries and versions that set it.
4. The Debian copyright files of the bundled libraries, and the common license texts they cite,
   go into the .dist-info's licenses/.
5. Every ELF file is stripped as a release is (strip --strip-unneeded: the symbol table and any
   debug info go, the dynamic symbols the C API exports stay), before patchelf touches it.
6. The archive is reproducible: the same input wheel gives the same bytes, wherever and whenever
   it is repaired. Entries in sorted order (.dist-info last), each dated SOURCE_DATE_EPOCH
   (1980-01-01 when it is unset), with mode 0644 or 0755 and no extra fields.

Check: every NEEDED entry of every ELF file in the wheel resolves inside the wheel (through its
RUNPATH) or is on the allow-list; no RUNPATH leaves the wheel; every ELF file is stripped; no
version needed is beyond the wheel's tag; the tag is the lowest possible; and the project's own
binaries need no newer policy than the bundled libraries do (our code never raises the
baseline). Exit status 1 with one line per problem otherwise.
"""
import argparse
import base64
import collections
import csv
import glob
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

PACKAGE = "hotloop"
LIBS_DIR = PACKAGE + ".libs"  # auditwheel's convention: <package>.libs next to the package

# Libraries every manylinux system provides (PEP 600 defers to auditwheel's policy: its
# lib_whitelist), plus the ELF interpreter, which is part of glibc.
ALLOWED = frozenset("""
    libgcc_s.so.1 libstdc++.so.6 libm.so.6 libmvec.so.1 libdl.so.2 librt.so.1 libc.so.6
    libnsl.so.1 libutil.so.1 libpthread.so.0 libresolv.so.2 libanl.so.1 libatomic.so.1
    libX11.so.6 libXext.so.6 libXrender.so.1 libICE.so.6 libSM.so.6 libGL.so.1
    libgobject-2.0.so.0 libgthread-2.0.so.0 libglib-2.0.so.0 libexpat.so.1 libz.so.1
    ld-linux-x86-64.so.2
""".split())
# manylinux_2_X for x86_64: the newest GLIBCXX, CXXABI and GCC symbol versions each policy
# allows (the libstdc++ and libgcc_s of its reference distributions; GLIBC_2.Y is allowed for
# Y <= X). Condensed from pypa/auditwheel's src/auditwheel/policy/manylinux-policy.json. (Its
# symbol blacklists concern policies below 2_24 on aarch64; on x86_64 the versions say it all.)
POLICIES = [
    (5, {"GLIBCXX": "3.4.8", "CXXABI": "1.3.1", "GCC": "4.2.0"}),
    (12, {"GLIBCXX": "3.4.13", "CXXABI": "1.3.3", "GCC": "4.3.0"}),
    (17, {"GLIBCXX": "3.4.19", "CXXABI": "1.3.7", "GCC": "4.8.0"}),
    (24, {"GLIBCXX": "3.4.22", "CXXABI": "1.3.10", "GCC": "4.8.0"}),
    (26, {"GLIBCXX": "3.4.22", "CXXABI": "1.3.10", "GCC": "4.8.0"}),
    (27, {"GLIBCXX": "3.4.24", "CXXABI": "1.3.11", "GCC": "7.0.0"}),
    (28, {"GLIBCXX": "3.4.24", "CXXABI": "1.3.11", "GCC": "7.0.0"}),
    (31, {"GLIBCXX": "3.4.28", "CXXABI": "1.3.12", "GCC": "7.0.0"}),
    (34, {"GLIBCXX": "3.4.29", "CXXABI": "1.3.13", "GCC": "7.0.0"}),
    (35, {"GLIBCXX": "3.4.30", "CXXABI": "1.3.13", "GCC": "12.0.0"}),
    (36, {"GLIBCXX": "3.4.30", "CXXABI": "1.3.13", "GCC": "12.0.0"}),
    (38, {"GLIBCXX": "3.4.30", "CXXABI": "1.3.13", "GCC": "12.0.0"}),
    (39, {"GLIBCXX": "3.4.33", "CXXABI": "1.3.15", "GCC": "14.0.0"}),
]
SYSTEM_DIRS = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
               "/lib", "/usr/lib"]

Elf = collections.namedtuple("Elf", "soname needed runpath versions machine")


class RepairError(Exception):
    """A wheel that cannot be made (or is not) a correct manylinux wheel."""


# ---- reading ELF files ----

def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def read_elf(path):
    """What the loader reads from a shared library: SONAME, NEEDED, RUNPATH (or RPATH) and the
    symbol versions it needs from each library."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        soname, needed, runpath, versions = None, [], [], {}
        for section in elf.iter_sections():
            if isinstance(section, DynamicSection):
                for tag in section.iter_tags():
                    kind = tag.entry.d_tag
                    if kind == "DT_SONAME":
                        soname = tag.soname
                    elif kind == "DT_NEEDED":
                        needed.append(tag.needed)
                    elif kind in ("DT_RUNPATH", "DT_RPATH"):
                        runpath += [p for p in getattr(tag, kind[3:].lower()).split(":") if p]
            elif isinstance(section, GNUVerNeedSection):
                for verneed, auxiliaries in section.iter_versions():
                    versions.setdefault(verneed.name, set()).update(a.name for a in auxiliaries)
        return Elf(soname, needed, runpath, versions, elf["e_machine"])


def unstripped_sections(path):
    """The sections of an ELF file that a release strips: symbol table, debug info and links."""
    with open(path, "rb") as f:
        return [section.name for section in ELFFile(f).iter_sections()
                if section.name in (".symtab", ".gnu_debuglink", ".gnu_debugaltlink")
                or section.name.startswith((".debug_", ".zdebug_"))]


# ---- finding the libraries the loader would load ----

def loader_cache():
    """soname -> path from the loader's cache (ldconfig -p), x86-64 entries only."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    cache = {}
    for line in out.splitlines():
        match = re.match(r"\s+(\S+) \(([^)]*)\) => (\S+)", line)
        if match and "x86-64" in match.group(2):
            cache.setdefault(match.group(1), match.group(3))
    return cache


def resolve(name, elf, origin, cache):
    """The file the loader would load for NEEDED `name` of an ELF file in `origin`."""
    for directory in elf.runpath:
        candidate = os.path.join(directory.replace("$ORIGIN", origin), name)
        if os.path.isfile(candidate):
            return candidate
    if name in cache:
        return cache[name]
    for directory in SYSTEM_DIRS:
        if os.path.isfile(os.path.join(directory, name)):
            return os.path.join(directory, name)
    raise RepairError("cannot find %s (needed by a file in %s)" % (name, origin))


def libraries_to_bundle(roots):
    """{soname: real path} of every library the ELF files `roots` need, directly or not, that is
    not on the allow-list, in the order found."""
    cache, found, queue = loader_cache(), {}, list(roots)
    while queue:
        path = queue.pop(0)
        elf = read_elf(path)
        for name in elf.needed:
            if name in ALLOWED or name in found:
                continue
            target = os.path.realpath(resolve(name, elf, os.path.dirname(path), cache))
            found[name] = target
            queue.append(target)
    return found


def bundled_name(soname, path):
    """libtbb.so.12 -> libtbb-<first 8 hex digits of the file's sha256>.so.12."""
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:8]
    stem, _, rest = soname.partition(".so")
    return "%s-%s.so%s" % (stem, digest, rest)


# ---- the manylinux tag ----

def version_key(text):
    return tuple(int(part) for part in text.split("."))


def versions_needed(elf_files):
    """[(binary, family, version)] of the symbol versions needed from allowed libraries."""
    needed = []
    for path, elf in elf_files.items():
        for library, names in elf.versions.items():
            if library not in ALLOWED:
                continue  # a bundled library: it travels with its own definitions
            for name in names:
                family, _, number = name.partition("_")
                if not re.fullmatch(r"\d+(\.\d+)*", number):
                    raise RepairError("%s needs %s from %s, which no manylinux policy allows"
                                      % (path, name, library))
                needed.append((path, family, number))
    return needed


def allows(glibc_minor, limits, family, number):
    if family == "GLIBC":
        return version_key(number) <= (2, glibc_minor)
    if family not in limits:
        return False
    return version_key(number) <= version_key(limits[family])


def lowest_policy(needed):
    """(glibc minor X of the lowest manylinux_2_X allowing every needed version, the needs
    that rule out the policy just below it)."""
    previous_misses = []
    for glibc_minor, limits in POLICIES:
        misses = [n for n in needed if not allows(glibc_minor, limits, n[1], n[2])]
        if not misses:
            return glibc_minor, previous_misses
        previous_misses = misses
    raise RepairError("no manylinux policy allows: " + ", ".join(
        "%s_%s (%s)" % (f, n, os.path.basename(p)) for p, f, n in previous_misses))


# ---- patching ----

def patchelf(*args):
    subprocess.run(["patchelf"] + list(args), check=True)


def strip(path):
    """Drops the symbol table and debug info (Debian's copies keep only a .gnu_debuglink to
    debug files the wheel does not ship); the dynamic symbol table stays. Before patchelf: strip
    rewriting a file patchelf has moved sections of is known to break it."""
    subprocess.run(["strip", "--strip-unneeded", "--remove-section=.gnu_debuglink",
                    "--remove-section=.gnu_debugaltlink", path], check=True)


def bundle(root, package_elves, found):
    """Copies the libraries `found` into root/hotloop.libs under hashed names and rewrites every
    SONAME, NEEDED and RUNPATH. Returns {soname: bundled file name}."""
    libs = os.path.join(root, LIBS_DIR)
    os.makedirs(libs, exist_ok=True)
    renamed = {soname: bundled_name(soname, path) for soname, path in found.items()}
    for soname, path in found.items():
        target = os.path.join(libs, renamed[soname])
        shutil.copyfile(path, target)
        os.chmod(target, 0o755)
        strip(target)
        patchelf("--set-soname", renamed[soname], target)
        rewrite_needed(target, renamed, "$ORIGIN")
    for path in package_elves:
        strip(path)
        relative = os.path.relpath(libs, os.path.dirname(path))
        rewrite_needed(path, renamed, "$ORIGIN/" + relative)
    return renamed


def rewrite_needed(path, renamed, runpath):
    """Points the NEEDED entries of `path` at the bundled names; its RUNPATH becomes `runpath`."""
    pairs = []
    for name in read_elf(path).needed:
        if name in renamed:
            pairs += ["--replace-needed", name, renamed[name]]
    if pairs:
        patchelf(*pairs, path)
    patchelf("--set-rpath", runpath, path)


def copy_licenses(root, dist_info, found, renamed):
    """The Debian copyright file of each bundled library, and an index, into licenses/."""
    target = os.path.join(root, dist_info, "licenses")
    os.makedirs(target, exist_ok=True)
    index = ["Libraries bundled in %s/ (built from their Debian packages):" % LIBS_DIR, ""]
    for soname, path in found.items():
        owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if owner.returncode != 0:
            raise RepairError("cannot find the package (and license) of %s" % path)
        package = owner.stdout.split(":")[0].strip()
        version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package],
                                 capture_output=True, text=True, check=True).stdout
        copyright_file = os.path.realpath("/usr/share/doc/%s/copyright" % package)
        shutil.copyfile(copyright_file, os.path.join(target, package + ".copyright"))
        copy_common_licenses(copyright_file, target)
        index.append("%s (was %s): Debian package %s %s; license: %s.copyright"
                     % (renamed[soname], soname, package, version, package))
    index += ["", "common-licenses/ holds the license texts the copyright files refer to "
              "(/usr/share/common-licenses on Debian)."]
    with open(os.path.join(target, "BUNDLED.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(index) + "\n")


def copy_common_licenses(copyright_file, target):
    """Debian copyright files cite the full texts of common licenses (Apache-2.0, GPL-3, ...) by
    path instead of including them: those texts go along."""
    with open(copyright_file, encoding="utf-8", errors="replace") as f:
        names = set(re.findall(r"/usr/share/common-licenses/([A-Za-z0-9.+-]+[A-Za-z0-9])", f.read()))
    os.makedirs(os.path.join(target, "common-licenses"), exist_ok=True)
    for name in sorted(names):
        source = os.path.join("/usr/share/common-licenses", name)
        if os.path.isfile(source):
            shutil.copyfile(source, os.path.join(target, "common-licenses", name))


# ---- the wheel archive ----

def unpack(wheel, root):
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(root)
        for info in archive.infolist():  # zipfile drops the permission bits
            mode = info.external_attr >> 16
            if mode:
                os.chmod(os.path.join(root, info.filename), mode & 0o777)
    dist_info = [d for d in os.listdir(root) if d.endswith(".dist-info")]
    if len(dist_info) != 1:
        raise RepairError("%s has %d .dist-info folders" % (wheel, len(dist_info)))
    return dist_info[0]


def elf_files_in(root):
    return sorted(p for p in glob.glob(os.path.join(root, "**", "*"), recursive=True)
                  if os.path.isfile(p) and not os.path.islink(p) and is_elf(p))


def record_line(root, relative):
    with open(os.path.join(root, relative), "rb") as f:
        data = f.read()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [relative, "sha256=" + digest, str(len(data))]


def pack(root, dist_info, tag, output):
    """Writes root as the wheel `output` with the platform tag `tag` and a fresh RECORD."""
    wheel_file = os.path.join(root, dist_info, "WHEEL")
    with open(wheel_file, encoding="utf-8") as f:
        lines = [line for line in f.read().splitlines() if not line.startswith("Tag:")]
    with open(wheel_file, "w", encoding="utf-8") as f:
        f.write("\n".join(lines + ["Tag: py3-none-" + tag]) + "\n")
    record = dist_info + "/RECORD"
    files = sorted(os.path.relpath(p, root).replace(os.sep, "/")
                   for p in glob.glob(os.path.join(root, "**", "*"), recursive=True)
                   if os.path.isfile(p))
    files = [f for f in files if f != record]
    # The .dist-info goes last, as the wheel format recommends.
    files.sort(key=lambda f: (f.startswith(dist_info + "/"), f))
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    for relative in files:
        writer.writerow(record_line(root, relative))
    writer.writerow([record, "", ""])
    with zipfile.ZipFile(output, "w") as archive:
        for relative in files:
            path = os.path.join(root, relative)
            with open(path, "rb") as f:
                archive.writestr(zip_entry(relative, os.stat(path).st_mode & 0o111), f.read())
        archive.writestr(zip_entry(record, 0), rows.getvalue())


def zip_entry(name, executable):
    """A ZipInfo that depends on nothing but the name and whether the file is executable: dated
    SOURCE_DATE_EPOCH (zip's earliest date, 1980-01-01, when unset or earlier), mode 0755 or
    0644, deflated, no extra fields."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or 0)
    date_time = max(time.gmtime(epoch)[:6], (1980, 1, 1, 0, 0, 0))
    info = zipfile.ZipInfo(name, date_time)
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix: the mode bits above are read
    return info


def platform_tag(glibc_minor):
    return "manylinux_2_%d_x86_64" % glibc_minor


def retagged_name(wheel, tag):
    name = os.path.basename(wheel)
    match = re.fullmatch(r"(.+-py3-none)-[^-]+\.whl", name)
    if not match:
        raise RepairError("%s is not a py3-none wheel" % name)
    return os.path.join(os.path.dirname(wheel), "%s-%s.whl" % (match.group(1), tag))


# ---- checking a wheel's ELF files ----

def check_tree(root):
    """Problems of the unpacked wheel at root (empty when it is a correct manylinux wheel), the
    glibc minor of its lowest policy, and the needs that rule out the one below."""
    elves = {p: read_elf(p) for p in elf_files_in(root)}
    problems = []
    for path, elf in elves.items():
        origin = os.path.dirname(path)
        for directory in elf.runpath:
            if not directory.startswith("$ORIGIN"):
                problems.append("%s: RUNPATH %s leaves the wheel" % (path, directory))
        for name in elf.needed:
            inside = [os.path.join(d.replace("$ORIGIN", origin), name) for d in elf.runpath]
            if name not in ALLOWED and not any(os.path.isfile(p) for p in inside):
                problems.append("%s: NEEDED %s is neither in the wheel nor allowed"
                                % (os.path.relpath(path, root), name))
        if elf.machine != "EM_X86_64":
            problems.append("%s is not x86-64 code" % path)
        kept = unstripped_sections(path)
        if kept:
            problems.append("%s is not stripped (%s)"
                            % (os.path.relpath(path, root), ", ".join(kept)))
    glibc_minor, ruled_out = lowest_policy(versions_needed(elves))
    problems += own_code_raises_the_tag(root, elves)
    return problems, glibc_minor, ruled_out


def own_code_raises_the_tag(root, elves):
    """The project's own binaries must not need a newer manylinux than the libraries it bundles
    (e.g. GCC 12's condition_variable::wait binds to GLIBCXX_3.4.30: manylinux_2_35)."""
    libs = os.path.join(root, LIBS_DIR)
    bundled = {p: e for p, e in elves.items() if os.path.dirname(p) == libs}
    own = {p: e for p, e in elves.items() if p not in bundled}
    if not bundled:
        return []
    floor, _ = lowest_policy(versions_needed(bundled))
    ours, misses = lowest_policy(versions_needed(own))
    if ours <= floor:
        return []
    beyond = sorted({"%s_%s" % (f, n) for p, f, n in versions_needed(own)
                     if not allows(floor, dict(POLICIES)[floor], f, n)})
    return ["the project's own binaries need %s (%s), beyond the bundled libraries' %s"
            % (platform_tag(ours), ", ".join(beyond), platform_tag(floor))]


def describe_limit(root, glibc_minor, ruled_out):
    """One line per binary that keeps the wheel above manylinux_2_<previous policy>."""
    by_binary = collections.defaultdict(set)
    for path, family, number in ruled_out:
        by_binary[os.path.relpath(path, root)].add("%s_%s" % (family, number))
    lines = ["tag %s: the lowest policy that allows every symbol version needed"
             % platform_tag(glibc_minor)]
    for binary, names in sorted(by_binary.items()):
        lines.append("  the policy below is ruled out by %s: %s"
                     % (binary, ", ".join(sorted(names, key=lambda n: (n.split("_")[0], version_key(n.split("_", 1)[1]))))))
    return lines


# ---- commands ----

def repair(wheel, keep_input=False):
    with tempfile.TemporaryDirectory(prefix="hotloop-repair-") as root:
        dist_info = unpack(wheel, root)
        package_elves = elf_files_in(root)
        if not package_elves:
            raise RepairError("%s holds no ELF file" % wheel)
        found = libraries_to_bundle(package_elves)
        renamed = bundle(root, package_elves, found)
        copy_licenses(root, dist_info, found, renamed)
        problems, glibc_minor, ruled_out = check_tree(root)
        if problems:
            raise RepairError("; ".join(problems))
        output = retagged_name(wheel, platform_tag(glibc_minor))
        pack(root, dist_info, platform_tag(glibc_minor), output)
    if not keep_input and os.path.abspath(output) != os.path.abspath(wheel):
        os.remove(wheel)
    for soname, path in found.items():
        print("bundled %s as %s/%s (from %s, %d bytes)"
              % (soname, LIBS_DIR, renamed[soname], path, os.path.getsize(path)))
    for line in describe_limit(root, glibc_minor, ruled_out):
        print(line)
    print("wrote %s (%d bytes)" % (output, os.path.getsize(output)))
    return output


def check(wheel):
    with tempfile.TemporaryDirectory(prefix="hotloop-check-") as root:
        dist_info = unpack(wheel, root)
        problems, glibc_minor, ruled_out = check_tree(root)
        with open(os.path.join(root, dist_info, "WHEEL"), encoding="utf-8") as f:
            tags = [line.split(":", 1)[1].strip() for line in f if line.startswith("Tag:")]
        expected = "py3-none-" + platform_tag(glibc_minor)
        if tags != [expected]:
            problems.append("WHEEL tags %s, but the binaries allow %s" % (tags, expected))
        if not os.path.basename(wheel).endswith("-%s.whl" % expected):
            problems.append("file name %s does not end with -%s.whl" % (wheel, expected))
        for line in describe_limit(root, glibc_minor, ruled_out):
            print(line)
    for problem in problems:
        print("check: " + problem, file=sys.stderr)
    return not problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("wheel")
    parser.add_argument("--check", action="store_true", help="check a repaired wheel")
    parser.add_argument("--keep-input", action="store_true", help="keep the linux wheel")
    args = parser.parse_args(argv)
    try:
        if args.check:
            return 0 if check(args.wheel) else 1
        repair(args.wheel, args.keep_input)
        return 0
    except (RepairError, subprocess.CalledProcessError, OSError) as exc:
        print("repair_wheel: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
