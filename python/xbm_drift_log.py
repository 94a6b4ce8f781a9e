"""Log a PyTorch (or any Python) training run as an xbm-drift run folder.

numpy only: no pyarrow, no torch import (torch tensors are accepted wherever an array is). The
module writes the run folder's CSV and JSON files exactly as the TypeScript trainer does, and the
probe embeddings as numpy files under ``raw/``; ``xbm-drift import <folder>`` then turns those into
the Arrow snapshot contract (``probe.arrow``, ``snapshots/iter-NNNNNN.arrow``), after which
``xbm-drift drift``, ``warmup`` and ``report`` work on the folder unchanged.

Two commands for a PyTorch user::

    python train.py                          # your loop, instrumented with RunLogger (below)
    npx xbm-drift import runs/my-run --report    # Arrow snapshots, then drift, warmup and report

(`xbm-drift import runs/my-run` alone only converts; then `drift`, `warmup` and `report` take
their usual flags.)

A minimal loop::

    from xbm_drift_log import RunLogger, snapshot_iterations

    log = RunLogger('runs/my-run', batch_size=64, iterations=2000, memory_size=8192,
                    xbm_start=1000, loss='contrastive', margin=0.5, seed=1, train_size=len(train))
    log.set_probe(probe_ids, probe_labels)          # a fixed subset of the training split
    when = set(snapshot_iterations(2000, every=50, offsets=(10,)))
    with log:                                        # status 'completed', 'interrupted' or 'failed'
        for it in range(2000 + 1):
            if it in when:
                log.log_snapshot(it, embed(model, probe_images))   # [n, d], rows in probe order
            if it == 2000:
                break
            ...one training step...
            log.log_step(it + 1, loss=loss.item(), xbm_active=it + 1 >= 1000, memory_ages=ages)

Iteration t means "after t training steps"; 0 is the untrained model (as in the trainer).

Files (docs/run-folder.md; everything is written under a temporary name and renamed into place,
except the growing CSVs, which are appended one whole write per flush, as the trainer does)::

    config.json                  what was asked (name, batchSize, iterations, loss, xbm, seed, ...)
    run.json                     what happened (status, times, XBM start, timings, final eval)
    metrics.csv                  METRICS_COLUMNS; a column not given is NaN ("not measured")
    eval.csv                     EVAL_COLUMNS
    staleness.csv                STALENESS_COLUMNS (log_staleness)
    raw/probe-sample-ids.npy     int64 [n]: the probe set, in the order of every snapshot's rows
    raw/probe-labels.npy         int64 [n]
    raw/snapshots/iter-NNNNNN.npy  float32 [n, d]: probe embeddings after NNNNNN steps
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
import sys
import time
import uuid
from datetime import datetime, timezone

import numpy as np

__all__ = [
    'RunLogger', 'snapshot_iterations', 'memory_age_stats', 'staleness_row', 'write_npy_atomic',
    'SCHEMA', 'METRICS_COLUMNS', 'EVAL_COLUMNS', 'STALENESS_COLUMNS', 'RAW', 'VERSION',
]

VERSION = '1'

# --- The contract (docs/run-folder.md, "Run folder" and "Arrow schema"; src/io/tables.ts, src/io/snapshot-file.ts).
# test/import/schema-contract.test.ts checks these against docs/run-folder.md and the TypeScript writer.

METRICS_COLUMNS = (
    'iteration', 'epoch', 'loss', 'batch_loss', 'memory_loss', 'lr', 'xbm_active', 'memory_fill',
    'memory_bytes', 'memory_age_min', 'memory_age_mean', 'memory_age_max', 'batch_pos_pairs',
    'batch_neg_pairs', 'batch_active_pairs', 'memory_pos_pairs', 'memory_neg_pairs',
    'memory_active_pairs', 'ms_per_iteration', 'ms_data', 'ms_step', 'drift_s', 'event',
)
EVAL_COLUMNS = (
    'iteration', 'split', 'recall_at_1', 'recall_at_2', 'recall_at_4', 'recall_at_8', 'map_at_r', 'nmi', 'ms_eval',
)
STALENESS_COLUMNS = (
    'iteration', 'entries', 'age_mean', 'age_max', 'drift_mean', 'drift_median', 'drift_p90', 'drift_max',
)

#: The Arrow files `xbm-drift import` makes of this module's numpy files: columns with their Arrow
#: types, and the schema metadata keys every file carries.
SCHEMA = {
    'schema_version': '1',
    'snapshot_columns': (
        ('sample_id', 'Int32'),
        ('label', 'Int32'),
        ('iteration', 'Int32'),
        ('embedding', 'FixedSizeList<Float32>[d]'),
    ),
    'probe_columns': (('sample_id', 'Int32'), ('label', 'Int32')),
    'metadata': (
        'xbm_drift.schema_version', 'xbm_drift.kind', 'xbm_drift.run_id', 'xbm_drift.dim',
        'xbm_drift.normalized', 'xbm_drift.iteration',
    ),
    'metrics_columns': METRICS_COLUMNS,
    'eval_columns': EVAL_COLUMNS,
    'staleness_columns': STALENESS_COLUMNS,
}

#: Where the numpy files go inside the run folder (src/import/raw-layout.ts reads the same names).
RAW = {
    'dir': 'raw',
    'probe_sample_ids': 'raw/probe-sample-ids.npy',
    'probe_labels': 'raw/probe-labels.npy',
    'snapshots': 'raw/snapshots',
    'snapshot_name': 'iter-{:06d}.npy',
}

LOSS_KINDS = ('contrastive', 'triplet', 'multi-similarity')
_INT_COLUMNS = {'iteration', 'epoch', 'xbm_active', 'memory_fill', 'memory_bytes', 'entries'}
_INT32_MAX = 2 ** 31 - 1


# --- small helpers -------------------------------------------------------------------------------

def _to_numpy(x) -> np.ndarray:
    """A numpy array of a numpy array, list or torch tensor (detached, on the CPU); no torch import."""
    if hasattr(x, 'detach'):
        x = x.detach()
    if hasattr(x, 'cpu'):
        x = x.cpu()
    if hasattr(x, 'numpy'):
        x = x.numpy()
    return np.asarray(x)


def _write_atomic(path: str, data: bytes) -> None:
    """Write a whole file under a temporary name in the same folder, then rename it into place."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f'{path}.{os.getpid()}.tmp'
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def _json_value(v):
    """JSON has no NaN or Infinity: write them as null (the TypeScript readers read null as NaN)."""
    if isinstance(v, dict):
        return {str(k): _json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _write_json_atomic(path: str, value) -> None:
    _write_atomic(path, (json.dumps(_json_value(value), indent=2, allow_nan=False) + '\n').encode('utf-8'))


def write_npy_atomic(path: str, array: np.ndarray) -> None:
    """Save a C-ordered little-endian .npy file atomically (temporary name, then rename)."""
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    _write_atomic(path, buf.getvalue())


def _cell(column: str, v) -> str:
    """One CSV cell as the TypeScript writer formats it: full precision, NaN as NaN, integers bare."""
    if v is None:
        return '' if column in ('event', 'split') else 'NaN'
    if isinstance(v, str):
        return v
    if hasattr(v, 'item') and not isinstance(v, np.ndarray):
        v = v.item()
    if isinstance(v, bool):
        return '1' if v else '0'
    if isinstance(v, int):
        return str(v)
    f = float(v)
    if math.isnan(f):
        return 'NaN'
    if math.isinf(f):
        return 'Infinity' if f > 0 else '-Infinity'
    if f.is_integer() and column in _INT_COLUMNS:
        return str(int(f))
    return repr(f)


def _csv_text(columns, rows, header: bool) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator='\n')
    if header:
        w.writerow(columns)
    for r in rows:
        w.writerow([_cell(c, r.get(c)) for c in columns])
    return out.getvalue()


class _CsvTable:
    """A growing CSV (metrics.csv, eval.csv, staleness.csv): a fresh file with its header at start,
    rows appended in one write per flush, so a crash never leaves half a row."""

    def __init__(self, path: str, columns, flush_every: int):
        self.path, self.columns, self.flush_every = path, tuple(columns), flush_every
        self.pending: list[dict] = []
        _write_atomic(path, _csv_text(self.columns, [], True).encode('utf-8'))

    def add(self, row: dict) -> None:
        unknown = set(row) - set(self.columns)
        if unknown:
            raise ValueError(f'{os.path.basename(self.path)}: unknown column(s) {sorted(unknown)}; '
                             f'the columns are {", ".join(self.columns)}')
        self.pending.append(row)
        if len(self.pending) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        text = _csv_text(self.columns, self.pending, False).encode('utf-8')
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, text)
        finally:
            os.close(fd)
        self.pending = []


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


# --- public helpers ------------------------------------------------------------------------------

def snapshot_iterations(iterations: int, every: int = 50, offsets=(10,)) -> list[int]:
    """The trainer's snapshot schedule: a main snapshot every `every` iterations (0 included), a
    companion `offset` iterations before each (0 < offset < every), and the last iteration. So
    D(t; offset) and D(t; k * every) exist at every main t (src/config/snapshot-schedule.ts)."""
    if every <= 0:
        return []
    out = set()
    for t in range(0, iterations + 1, every):
        out.add(t)
        for g in offsets:
            if 0 < g < every and t - g >= 0:
                out.add(t - g)
    out.add(iterations)
    return sorted(out)


def memory_age_stats(written_at, iteration: int, filled=None) -> dict:
    """memory_age_min/mean/max of metrics.csv: iterations since each filled slot was written.
    `written_at`: the iteration each memory slot was written at ([M]); `filled`: a boolean mask of
    the slots in use (default: all). An empty memory gives NaN (not measured)."""
    w = _to_numpy(written_at).astype(np.float64).reshape(-1)
    if filled is not None:
        w = w[_to_numpy(filled).astype(bool).reshape(-1)]
    if w.size == 0:
        return {'memory_age_min': math.nan, 'memory_age_mean': math.nan, 'memory_age_max': math.nan}
    ages = iteration - w
    return {'memory_age_min': float(ages.min()), 'memory_age_mean': float(ages.mean()), 'memory_age_max': float(ages.max())}


def staleness_row(iteration: int, stored, fresh, ages) -> dict:
    """One staleness.csv row: the true staleness of the memory, i.e. the squared distance between
    each stored feature and a fresh embedding of the same sample, with the entries' ages.
    stored, fresh: [m, d] in the same slot order; ages: [m] iterations since each was written."""
    s = _to_numpy(stored).astype(np.float64)
    f = _to_numpy(fresh).astype(np.float64)
    a = _to_numpy(ages).astype(np.float64).reshape(-1)
    if s.ndim != 2 or s.shape != f.shape:
        raise ValueError(f'staleness: stored {s.shape} and fresh {f.shape} must both be [m, d]')
    if a.shape[0] != s.shape[0]:
        raise ValueError(f'staleness: ages has {a.shape[0]} entries, stored {s.shape[0]} rows')
    if s.shape[0] == 0:
        return {'iteration': iteration, 'entries': 0, **{c: math.nan for c in STALENESS_COLUMNS[2:]}}
    d = ((s - f) ** 2).sum(axis=1)
    return {
        'iteration': int(iteration), 'entries': int(s.shape[0]),
        'age_mean': float(a.mean()), 'age_max': float(a.max()),
        'drift_mean': float(d.mean()), 'drift_median': float(np.quantile(d, 0.5)),
        'drift_p90': float(np.quantile(d, 0.9)), 'drift_max': float(d.max()),
    }


# --- the logger ----------------------------------------------------------------------------------

class RunLogger:
    """Writes one run folder. Create it before training (config.json, run.json with status
    'running', and the CSV headers are written at once), call the log_* methods while training, and
    close() at the end (or use it as a context manager: an exception marks the run 'failed', Ctrl-C
    'interrupted').

    Parameters (keywords; the names of config.json in brackets):
      folder        the run folder (created; an existing config.json there is refused unless overwrite)
      batch_size    [batchSize] embeddings per iteration, B
      iterations    [iterations] training steps planned
      memory_size   [xbm.size] XBM capacity M; 0 without a memory (a baseline)
      memory_weight [xbm.weight] weight of the memory loss
      xbm_start     [xbm.start] the iteration XBM starts at, None when off or decided online
                    (then the first log_step with xbm_active=1 is the start)
      loss, margin  [loss.kind, loss.margin] 'contrastive' | 'triplet' | 'multi-similarity'; for
                    multi-similarity `margin` is its base lambda [loss.base]. The warm-up threshold
                    is derived from it: (margin / 4)^2.
      seed          [seed]
      dim           [model.dim] embedding width (checked against the snapshots when given)
      dataset       [dataset.spec] a name for the data, e.g. 'CUB-200-2011'
      train_size, test_size, train_classes, test_classes: for run.json's dataset record (0 = unknown;
                    `warmup` uses train_size as M for a baseline without a memory)
      lr, optimizer [optimizer.lr, optimizer.kind]
      extra         any JSON-able dict stored as config.json `extra` (your own hyperparameters)
      device        a word for run.json's backend name, e.g. 'cuda'
      flush_every   metrics rows buffered before one append (default 50)
      overwrite     allow writing into a folder that already holds a config.json
    """

    def __init__(self, folder: str, *, batch_size: int, iterations: int, memory_size: int = 0,
                 memory_weight: float = 1.0, xbm_start: int | None = None, loss: str = 'contrastive',
                 margin: float | None = None, seed: int = 0, dim: int | None = None, dataset: str = 'pytorch',
                 name: str | None = None, train_size: int = 0, test_size: int = 0, train_classes: int = 0,
                 test_classes: int = 0, lr: float | None = None, optimizer: str | None = None,
                 extra: dict | None = None, device: str = 'cpu', flush_every: int = 50, overwrite: bool = False):
        if loss not in LOSS_KINDS:
            raise ValueError(f'loss {loss!r}: expected one of {", ".join(LOSS_KINDS)}')
        for key, v in (('batch_size', batch_size), ('iterations', iterations)):
            if not isinstance(v, int) or v <= 0:
                raise ValueError(f'{key} {v!r}: expected a positive integer')
        if not isinstance(memory_size, int) or memory_size < 0:
            raise ValueError(f'memory_size {memory_size!r}: expected an integer >= 0 (0: no memory)')
        if xbm_start is not None and (not isinstance(xbm_start, int) or xbm_start < 0):
            raise ValueError(f'xbm_start {xbm_start!r}: expected an iteration >= 0, or None')
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        if not overwrite and os.path.exists(self._p('config.json')):
            raise FileExistsError(f'{self._p("config.json")} exists: give a new folder, or overwrite=True')
        self.dim = dim
        self.iterations = iterations
        self.probe_ids: np.ndarray | None = None
        self.snapshots: list[int] = []
        self._step_ms: list[float] = []
        self._last_eval: dict | None = None
        self._events: list[dict] = []
        self._wall_start = time.time()
        self._last_iteration = 0
        self._closed = False
        if margin is None:
            margin = {'contrastive': 0.5, 'triplet': 0.1, 'multi-similarity': 0.5}[loss]
        loss_cfg = {'kind': 'multi-similarity', 'alpha': 2, 'beta': 50, 'base': margin, 'epsilon': 0.1} \
            if loss == 'multi-similarity' else {'kind': loss, 'margin': margin}
        start = {'kind': 'off'} if memory_size == 0 else (
            {'kind': 'at', 'iteration': xbm_start} if xbm_start is not None else {'kind': 'external'})
        self.config = {
            'name': name or os.path.basename(os.path.abspath(folder)),
            'out': folder,
            'source': {'writer': 'xbm_drift_log.py', 'version': VERSION, 'framework': 'pytorch'},
            'dataset': {'spec': dataset},
            'batchSize': batch_size,
            'model': {'kind': 'external', 'dim': dim},
            'loss': loss_cfg,
            'optimizer': {'kind': optimizer, 'lr': lr},
            'iterations': iterations,
            'xbm': {'size': memory_size, 'weight': memory_weight, 'start': start},
            'seed': seed,
            'extra': extra or {},
        }
        self.record = {
            'schemaVersion': 1,
            'runId': str(uuid.uuid4()),
            'name': self.config['name'],
            'status': 'running',
            'dataset': {'spec': dataset, 'description': dataset, 'imageShape': [], 'trainSize': train_size,
                        'testSize': test_size, 'trainClasses': train_classes, 'testClasses': test_classes},
            'versions': {'xbmDrift': f'xbm_drift_log.py {VERSION}', 'python': platform.python_version(),
                         'numpy': np.__version__, 'torch': _torch_version()},
            'backend': {'choice': 'external', 'name': f'pytorch ({device})', 'threads': 0, 'attempts': [],
                        'tfjsVersion': '', 'customKernels': [], 'notes': ['trained outside xbm-drift']},
            'seed': seed,
            'startedAt': _now(),
            'endedAt': None,
            'resumes': [],
            'iterationsDone': 0,
            'iterations': iterations,
            'batchSize': batch_size,
            'parameters': 0,
            'xbm': {'size': memory_size, 'weight': memory_weight, 'bytes': 0, 'requested': start,
                    'start': None, 'paused': False, 'threshold': math.nan,
                    'span': -(-memory_size // batch_size) if memory_size else 0,
                    'decision': None, 'events': self._events},
            'timings': {'msPerIteration': math.nan, 'msPerIterationP90': math.nan, 'wallSeconds': 0,
                        'snapshotSeconds': 0, 'evalSeconds': 0, 'trainSeconds': 0},
            'final': None,
            'collapse': None,
            'probe': None,
        }
        _write_json_atomic(self._p('config.json'), self.config)
        _write_json_atomic(self._p('run.json'), self.record)
        self.metrics = _CsvTable(self._p('metrics.csv'), METRICS_COLUMNS, flush_every)
        self.evals = _CsvTable(self._p('eval.csv'), EVAL_COLUMNS, 1)
        self.staleness = _CsvTable(self._p('staleness.csv'), STALENESS_COLUMNS, 1)

    def _p(self, rel: str) -> str:
        return os.path.join(self.folder, *rel.split('/'))

    def set_parameters(self, count: int) -> None:
        """The model's parameter count for run.json (e.g. sum(p.numel() for p in model.parameters()))."""
        self.record['parameters'] = int(count)

    def set_probe(self, sample_ids, labels) -> None:
        """The probe set: unique sample ids (e.g. indices into the training split) and their labels,
        in the order every snapshot's rows will have. Integers within int32."""
        ids = _to_numpy(sample_ids).astype(np.int64).reshape(-1)
        lab = _to_numpy(labels).astype(np.int64).reshape(-1)
        if ids.shape != lab.shape:
            raise ValueError(f'probe: {ids.size} sample ids but {lab.size} labels')
        if ids.size == 0:
            raise ValueError('probe: the probe set is empty')
        if np.unique(ids).size != ids.size:
            raise ValueError('probe: sample ids repeat; give each probe sample once')
        for what, a in (('sample ids', ids), ('labels', lab)):
            if a.min() < -_INT32_MAX - 1 or a.max() > _INT32_MAX:
                raise ValueError(f'probe: {what} must fit in int32')
        write_npy_atomic(self._p(RAW['probe_sample_ids']), ids)
        write_npy_atomic(self._p(RAW['probe_labels']), lab)
        self.probe_ids = ids
        self.record['probe'] = {'size': int(ids.size)}

    def log_snapshot(self, iteration: int, embeddings) -> str:
        """Save the probe set's embeddings after `iteration` steps: [n, d], rows in probe order,
        computed in eval mode without gradients (L2-normalised, like the memory's features).
        Returns the file written (raw/snapshots/iter-NNNNNN.npy, float32)."""
        if self.probe_ids is None:
            raise RuntimeError('log_snapshot before set_probe: give the probe set first')
        if not isinstance(iteration, int) or iteration < 0:
            raise ValueError(f'snapshot iteration {iteration!r}: expected an integer >= 0')
        e = _to_numpy(embeddings).astype(np.float32)
        if e.ndim != 2 or e.shape[0] != self.probe_ids.size:
            raise ValueError(f'snapshot {iteration}: embeddings {e.shape}, expected [{self.probe_ids.size}, d]')
        if self.dim is not None and e.shape[1] != self.dim:
            raise ValueError(f'snapshot {iteration}: width {e.shape[1]}, but dim={self.dim}')
        if not np.isfinite(e).all():
            raise ValueError(f'snapshot {iteration}: embeddings hold NaN or Infinity (the run diverged?)')
        self.dim = int(e.shape[1])
        self.config['model']['dim'] = self.dim
        t0 = time.time()
        path = self._p(RAW['snapshots'] + '/' + RAW['snapshot_name'].format(iteration))
        write_npy_atomic(path, e)
        self.record['timings']['snapshotSeconds'] += time.time() - t0
        if iteration not in self.snapshots:
            self.snapshots.append(iteration)
        return path

    def log_step(self, iteration: int, *, memory_ages=None, memory_written_at=None, memory_filled=None, **values) -> None:
        """One metrics.csv row after step `iteration` (1 for the first step). Keyword values name
        METRICS_COLUMNS (loss, batch_loss, memory_loss, lr, xbm_active, memory_fill, pair counts,
        ms_per_iteration, event, ...); a column not given is NaN. Memory ages come as one of:
        memory_ages (dict of memory_age_* or an array of ages), or memory_written_at (+ memory_filled),
        the iteration each slot was written at. The first row with xbm_active=1 (or event
        'xbm-start') is the XBM start in run.json."""
        row = {c: None for c in METRICS_COLUMNS}
        row['iteration'] = int(iteration)
        row['event'] = ''
        if memory_written_at is not None:
            row.update(memory_age_stats(memory_written_at, iteration, memory_filled))
        elif isinstance(memory_ages, dict):
            row.update(memory_ages)
        elif memory_ages is not None:
            a = _to_numpy(memory_ages).astype(np.float64).reshape(-1)
            if a.size:
                row.update(memory_age_min=float(a.min()), memory_age_mean=float(a.mean()), memory_age_max=float(a.max()))
        for k, v in values.items():
            if k not in row:
                raise ValueError(f'metrics.csv has no column {k!r}; the columns are {", ".join(METRICS_COLUMNS)}')
            row[k] = v
        if row['xbm_active'] is not None:
            row['xbm_active'] = 1 if row['xbm_active'] else 0
        xbm = self.record['xbm']
        if xbm['start'] is None and (row['xbm_active'] == 1 or row['event'] == 'xbm-start'):
            xbm['start'] = int(iteration)
            if row['event'] == '':
                row['event'] = 'xbm-start'
            self._events.append({'iteration': int(iteration), 'kind': 'xbm-start', 'message': f'XBM started at iteration {iteration}'})
        ms = row['ms_per_iteration']
        if ms is not None and math.isfinite(float(ms)):
            self._step_ms.append(float(ms))
        if isinstance(row['memory_bytes'], (int, float)) and math.isfinite(row['memory_bytes']):
            xbm['bytes'] = row['memory_bytes']
        self._last_iteration = max(self._last_iteration, int(iteration))
        self.metrics.add(row)

    def log_eval(self, iteration: int, split: str = 'test', **values) -> None:
        """One eval.csv row: recall_at_1/2/4/8, map_at_r, nmi, ms_eval (missing ones NaN). The last
        test-split row becomes run.json `final`."""
        row = {c: None for c in EVAL_COLUMNS}
        row.update(iteration=int(iteration), split=split)
        for k, v in values.items():
            if k not in row:
                raise ValueError(f'eval.csv has no column {k!r}; the columns are {", ".join(EVAL_COLUMNS)}')
            row[k] = v
        self.evals.add(row)
        if split == 'test':
            self._last_eval = {k: (float(v) if k not in ('iteration', 'split') and v is not None else v)
                               for k, v in row.items()}
            for k in EVAL_COLUMNS[2:]:
                if self._last_eval[k] is None:
                    self._last_eval[k] = math.nan
        if 'ms_eval' in values and values['ms_eval'] is not None:
            self.record['timings']['evalSeconds'] += float(values['ms_eval']) / 1000

    def log_staleness(self, iteration: int, stored, fresh, ages) -> dict:
        """One staleness.csv row from the memory's stored features, fresh embeddings of the same
        samples (same order) and the entries' ages; see staleness_row. Returns the row."""
        row = staleness_row(iteration, stored, fresh, ages)
        self.staleness.add(row)
        return row

    def flush(self) -> None:
        """Append buffered rows and rewrite run.json (still 'running'), e.g. every few hundred steps."""
        self.metrics.flush()
        self._write_record()

    def _write_record(self) -> None:
        r = self.record
        r['iterationsDone'] = self._last_iteration
        if self._step_ms:
            s = sorted(self._step_ms)
            r['timings']['msPerIteration'] = s[len(s) // 2]
            r['timings']['msPerIterationP90'] = s[int(len(s) * 0.9)]
            r['timings']['trainSeconds'] = sum(s) / 1000
        r['timings']['wallSeconds'] = time.time() - self._wall_start
        r['final'] = self._last_eval
        _write_json_atomic(self._p('run.json'), r)
        _write_json_atomic(self._p('config.json'), self.config)

    def close(self, status: str = 'completed', message: str | None = None) -> None:
        """Finish the run: flush the CSVs and write run.json with its status ('completed',
        'interrupted', 'diverged' or 'failed'), end time, timings and final evaluation."""
        if self._closed:
            return
        if status not in ('completed', 'interrupted', 'diverged', 'failed'):
            raise ValueError(f'status {status!r}: expected completed, interrupted, diverged or failed')
        self.metrics.flush()
        self.record['status'] = status
        if message:
            self.record['message'] = message
        self.record['endedAt'] = _now()
        self._write_record()
        self._closed = True

    def __enter__(self) -> 'RunLogger':
        return self

    def __exit__(self, kind, value, tb) -> bool:
        if kind is None:
            self.close('completed')
        elif issubclass(kind, KeyboardInterrupt):
            self.close('interrupted', 'interrupted by Ctrl-C')
        else:
            self.close('failed', f'{kind.__name__}: {value}'.splitlines()[0][:300])
        return False


def _torch_version() -> str:
    t = sys.modules.get('torch')
    return getattr(t, '__version__', '') if t is not None else ''


if __name__ == '__main__':
    # `python3 xbm_drift_log.py --schema` prints the contract as JSON (used by the tests).
    if sys.argv[1:] == ['--schema']:
        print(json.dumps({'SCHEMA': SCHEMA, 'RAW': RAW, 'VERSION': VERSION}))
    else:
        print(__doc__)
