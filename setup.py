"""pip install . : builds libhotloop.so with CMake and ships it inside the pure-Python package.

The package has no compiled Python extension: the wheel holds libhotloop.so and the cffi module
generated from capi/include/hotloop.h, so one wheel serves CPython 3.8+ and PyPy (tag
py3-none-<platform>).
Offline (no PyPI): `pip install --no-build-isolation .` with Debian's python3-setuptools,
python3-wheel and python3-cffi.
"""
import os
import runpy
import subprocess
import sys
import tempfile

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version():
    """The release from capi/include/hotloop.h, its one home (scripts/hotloop_version.py)."""
    return runpy.run_path(os.path.join(HERE, "scripts", "hotloop_version.py"))["read_version"]()


class BuildPyWithLibrary(build_py):
    """Builds the native library into the package being assembled."""

    def run(self):
        super().run()
        package_dir = os.path.abspath(os.path.join(self.build_lib, "hotloop"))
        with tempfile.TemporaryDirectory(prefix="hotloop-build-") as build_dir:
            subprocess.check_call([
                "cmake", "-S", HERE, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                "-DHOTLOOP_BUILD_TESTS=OFF", "-DHOTLOOP_PYTHON_PACKAGE_DIR=" + package_dir,
                "-DPython3_EXECUTABLE=" + sys.executable,
            ])
            subprocess.check_call(["cmake", "--build", build_dir, "-j", str(os.cpu_count() or 2)])


class BinaryDistribution(Distribution):
    """The package holds a native library, so its wheel is platform-specific."""

    def has_ext_modules(self):
        return True


cmdclass = {"build_py": BuildPyWithLibrary}
try:
    from wheel.bdist_wheel import bdist_wheel

    class BdistWheelAnyPython(bdist_wheel):
        """py3-none-<platform>: the library is loaded with cffi's ABI mode, so no CPython ABI tag."""

        def finalize_options(self):
            super().finalize_options()
            self.root_is_pure = False

        def get_tag(self):
            return ("py3", "none", super().get_tag()[2])

    cmdclass["bdist_wheel"] = BdistWheelAnyPython
except ImportError:  # building without the wheel package
    pass

setup(
    name="hotloop",
    version=read_version(),
    description="Python's hot loops, run in parallel by a C++ engine through a flat C API",
    long_description=open(os.path.join(HERE, "README.md"), encoding="utf-8").read()
    if os.path.exists(os.path.join(HERE, "README.md")) else "",
    long_description_content_type="text/markdown",
    license="MIT",
    license_files=["LICENSE", "THIRD_PARTY_NOTICES.md"],
    # 3.8: typing.Literal at import; nothing newer is needed (docs/packaging.md: what is tested).
    python_requires=">=3.8",
    package_dir={"": "pywrapper"},
    packages=["hotloop"],
    package_data={"hotloop": ["libhotloop.so", "_hotloop_ffi.py", "py.typed"]},
    install_requires=["cffi>=1.15"],
    extras_require={"numpy": ["numpy>=1.20"], "cli": ["numpy>=1.20", "pillow", "tqdm"],
                    "dask": ["dask>=2022.12", "distributed>=2022.12"]},
    # `hotloop info | wordcount | stats | image` (also `python -m hotloop`).
    entry_points={"console_scripts": ["hotloop = hotloop._cli:main"]},
    cmdclass=cmdclass,
    distclass=BinaryDistribution,
    zip_safe=False,
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.8",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Programming Language :: Python :: Implementation :: CPython",
        "Programming Language :: Python :: Implementation :: PyPy",
        "Programming Language :: C++",
        "Operating System :: POSIX :: Linux",
    ],
)
