#!/usr/bin/env python3
"""Rewrites an sdist (.tar.gz) so that the same sources give the same bytes, in any folder, at any
time, by any user: members in sorted order, each dated SOURCE_DATE_EPOCH (0 when unset), owned by
root:root with no names, mode 0644 (0755 for folders and files that anyone may execute); the
gzip header dated the same and without a file name. Contents are unchanged. setuptools' sdist
takes each of these from the build machine (file times, the umask, the user, the clock), so two
builds a minute apart differed.

    normalize_sdist.py dist/hotloop-<version>.tar.gz
"""
import gzip
import io
import os
import sys
import tarfile


def normalized(member, epoch):
    """A copy of a tar member's header with nothing of the machine that packed it."""
    info = tarfile.TarInfo(member.name)
    info.type, info.linkname, info.size = member.type, member.linkname, member.size
    executable = member.isdir() or member.mode & 0o111
    info.mode = 0o755 if executable else 0o644
    info.mtime, info.uid, info.gid, info.uname, info.gname = epoch, 0, 0, "", ""
    return info


def normalize(path, epoch):
    with tarfile.open(path, "r:gz") as source:
        members = sorted(source.getmembers(), key=lambda m: m.name)
        packed = io.BytesIO()
        with tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as out:
            for member in members:
                data = source.extractfile(member) if member.isfile() else None
                out.addfile(normalized(member, epoch), data)
    with open(path + ".tmp", "wb") as raw:
        # filename="": gzip would record the output's name; mtime: its clock.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch, compresslevel=9) as z:
            z.write(packed.getvalue())
    os.replace(path + ".tmp", path)


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: normalize_sdist.py SDIST.tar.gz")
    normalize(argv[1], int(os.environ.get("SOURCE_DATE_EPOCH") or 0))


if __name__ == "__main__":
    main(sys.argv)
