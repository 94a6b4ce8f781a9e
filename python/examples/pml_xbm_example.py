"""Instrument a pytorch-metric-learning CrossBatchMemory training loop with xbm_drift_log.

    pip install torch torchvision pytorch-metric-learning numpy
    python python/examples/pml_xbm_example.py --data /data/CUB_200_2011/train --out runs/pml-xbm
    npx xbm-drift import runs/pml-xbm --report     # then runs/pml-xbm/report/index.html

--data is an ImageFolder (one sub-folder per class) of the training classes. What is logged:
  * probe snapshots: a fixed, seeded, class-stratified subset of the training images embedded in
    eval mode on the trainer's schedule (every --snapshot-every steps plus one --snapshot-offset
    before each), so `drift` can measure D(t; dt) at small and large gaps;
  * metrics.csv every step: the loss (batch loss before the XBM start, memory loss after), lr,
    whether XBM was on, the memory's fill, bytes and entry ages (PML's memory does not record when
    a slot was written, so the loop tracks it next to the queue);
  * staleness.csv every --staleness-every steps once XBM is on: each stored feature against a
    fresh embedding of the same image, the error XBM actually works with;
  * config.json and run.json, so `warmup` reads M, B and the margin without flags.
Run `warmup` on a baseline (--xbm-start larger than --iterations) to choose the start, then train
again with --xbm-start set to it.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from pytorch_metric_learning import losses, samplers
from pytorch_metric_learning.distances import CosineSimilarity

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from xbm_drift_log import RunLogger, snapshot_iterations  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True, help='ImageFolder of the training classes')
    p.add_argument('--out', default='runs/pml-xbm')
    p.add_argument('--iterations', type=int, default=3000)
    p.add_argument('--batch-size', type=int, default=64)
    p.add_argument('--per-class', type=int, default=4)
    p.add_argument('--memory-size', type=int, default=8192)
    p.add_argument('--xbm-start', type=int, default=1000)
    p.add_argument('--margin', type=float, default=0.5)
    p.add_argument('--dim', type=int, default=128)
    p.add_argument('--lr', type=float, default=1e-4)
    p.add_argument('--probe-size', type=int, default=512)
    p.add_argument('--snapshot-every', type=int, default=50)
    p.add_argument('--snapshot-offset', type=int, default=10)
    p.add_argument('--staleness-every', type=int, default=200)
    p.add_argument('--seed', type=int, default=1)
    return p.parse_args()


class Indexed(torch.utils.data.Dataset):
    """The dataset's items with their index: the sample id of the probe set and of memory slots."""

    def __init__(self, ds):
        self.ds = ds

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        x, y = self.ds[i]
        return x, y, i


def stratified_probe(labels, size, seed):
    """A fixed, seeded subset with about the same number of images per class."""
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    per = max(1, size // len(classes))
    ids = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:per] for c in classes])
    return np.sort(rng.permutation(ids)[:size])


def main():
    a = parse_args()
    torch.manual_seed(a.seed)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    tf = torchvision.transforms
    train_tf = tf.Compose([tf.RandomResizedCrop(224), tf.RandomHorizontalFlip(), tf.ToTensor(),
                           tf.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    eval_tf = tf.Compose([tf.Resize(256), tf.CenterCrop(224), tf.ToTensor(),
                          tf.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    train = torchvision.datasets.ImageFolder(a.data, transform=train_tf)
    plain = torchvision.datasets.ImageFolder(a.data, transform=eval_tf)  # probe and staleness: no augmentation
    labels = np.asarray(train.targets)

    backbone = torchvision.models.resnet18(weights='IMAGENET1K_V1')
    backbone.fc = torch.nn.Linear(backbone.fc.in_features, a.dim)
    model = backbone.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)

    def embed(x):
        return F.normalize(model(x), dim=1)

    @torch.no_grad()
    def embed_ids(ids):
        was = model.training
        model.eval()
        out = [embed(torch.stack([plain[int(i)][0] for i in ids[k:k + 128]]).to(device)) for k in range(0, len(ids), 128)]
        model.train(was)
        return torch.cat(out)

    # XBM's contrastive loss on cosine similarity: positives pulled to 1, negatives pushed under the margin.
    inner = losses.ContrastiveLoss(pos_margin=1, neg_margin=a.margin, distance=CosineSimilarity())
    xbm = losses.CrossBatchMemory(inner, a.dim, memory_size=a.memory_size).to(device)
    # When each slot was written, and which image it holds: PML's queue does not record them.
    written_at = np.zeros(a.memory_size)
    slot_sample = np.zeros(a.memory_size, dtype=np.int64)

    sampler = samplers.MPerClassSampler(labels, m=a.per_class, batch_size=a.batch_size,
                                        length_before_new_iter=a.iterations * a.batch_size)
    loader = torch.utils.data.DataLoader(Indexed(train), batch_size=a.batch_size, sampler=sampler,
                                         num_workers=4, drop_last=True)

    probe = stratified_probe(labels, a.probe_size, a.seed)
    log = RunLogger(a.out, batch_size=a.batch_size, iterations=a.iterations, memory_size=a.memory_size,
                    xbm_start=a.xbm_start, loss='contrastive', margin=a.margin, seed=a.seed, dim=a.dim,
                    dataset=os.path.basename(os.path.normpath(a.data)), train_size=len(train),
                    train_classes=len(train.classes), lr=a.lr, optimizer='adam', device=device,
                    extra={'backbone': 'resnet18', 'per_class': a.per_class})
    log.set_probe(probe, labels[probe])
    log.set_parameters(sum(p.numel() for p in model.parameters()))
    when = set(snapshot_iterations(a.iterations, a.snapshot_every, (a.snapshot_offset,)))

    with log:
        log.log_snapshot(0, embed_ids(probe))
        batches = iter(loader)
        for it in range(1, a.iterations + 1):
            t0 = time.time()
            x, y, idx = next(batches)
            x, y = x.to(device), y.to(device)
            t1 = time.time()
            emb = embed(x)
            on = it >= a.xbm_start
            if on:
                q0 = xbm.queue_idx
                loss = xbm(emb, y)  # the batch against the memory (and itself), then enqueued
                slots = (q0 + np.arange(len(y))) % a.memory_size
                written_at[slots] = it
                slot_sample[slots] = idx.numpy()
            else:
                loss = inner(emb, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if device == 'cuda':
                torch.cuda.synchronize()
            t2 = time.time()

            fill = a.memory_size if xbm.has_been_filled else int(xbm.queue_idx)
            filled = np.zeros(a.memory_size, dtype=bool)
            filled[:fill] = True
            # PML's CrossBatchMemory folds the batch-vs-batch pairs into its one loss: batch_loss is NaN then.
            log.log_step(it, loss=loss.item(), lr=opt.param_groups[0]['lr'], xbm_active=on,
                         batch_loss=float('nan') if on else loss.item(), memory_loss=loss.item() if on else 0.0,
                         memory_fill=fill, memory_bytes=fill * a.dim * 4,
                         memory_written_at=written_at, memory_filled=filled,
                         ms_per_iteration=(t2 - t0) * 1000, ms_data=(t1 - t0) * 1000, ms_step=(t2 - t1) * 1000)
            if on and fill and a.staleness_every and it % a.staleness_every == 0:
                stored = xbm.embedding_memory[:fill]
                log.log_staleness(it, stored, embed_ids(slot_sample[:fill]), it - written_at[:fill])
            if it in when:
                log.log_snapshot(it, embed_ids(probe))


if __name__ == '__main__':
    main()
