"""Builds Tessel's C interface (libTesselC.so) with the Swift toolchain and bundles it.

`pip install ./python` runs `swift build -c release --product TesselC` in the repository
that holds this folder (so it needs Swift 6.1+ and libnuma-dev, as Tessel itself) and copies
the library into the `tessel` package; the wheel is therefore platform-specific. Set
TESSEL_SWIFT to use another `swift` executable.
"""
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

LIBRARY = "libTesselC.so"


def build_library() -> Path:
    """Builds libTesselC.so in release mode and returns its path."""
    repository = Path(__file__).resolve().parent.parent
    if not (repository / "Package.swift").is_file():
        raise RuntimeError(f"{repository} has no Package.swift: build from a checkout of the Tessel repository")
    swift = os.environ.get("TESSEL_SWIFT", "swift")
    command = [swift, "build", "-c", "release", "--product", "TesselC", "--package-path", str(repository)]
    print("building Tessel's C interface:", " ".join(command), flush=True)
    subprocess.run(command, check=True)
    folder = subprocess.run(command[:4] + ["--package-path", str(repository), "--show-bin-path"],
                            check=True, capture_output=True, text=True).stdout.strip()
    return Path(folder) / LIBRARY


class BuildWithSwift(build_py):
    """build_py that also builds and copies the Swift library into the package."""

    def run(self):
        super().run()
        destination = Path(self.build_lib) / "tessel" / LIBRARY
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(build_library(), destination)


class BinaryDistribution(Distribution):
    """Marks the wheel as platform-specific: it carries a native library."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithSwift}, distclass=BinaryDistribution)
