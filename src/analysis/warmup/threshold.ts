import { LOSS_DEFAULTS, similarityScale } from '../../losses/registry.js';
import { analysisMessages as msg } from '../../messages/analysis.js';
import type { WarmupContext } from './types.js';

/** S = ceil(M / B): when the memory is full its oldest entry was written S iterations ago. */
export function memorySpan(memorySize: number, batchSize: number): number {
  return Math.ceil(memorySize / batchSize);
}

/** The error budget: typical similarity error at most this fraction of the margin. */
export const MARGIN_FRACTION = 1 / 4;

/**
 * Similarity scale used when the context gives no usable margin: the loss's own default scale
 * (losses/registry.ts similarityScale). Multi-similarity has no margin: its pair weights switch
 * around the base lambda (0.5 in the paper and pytorch-metric-learning), so lambda plays the
 * margin's role. Other losses default to the contrastive margin 0.5 of XBM.
 */
export const MARGIN_EQUIVALENTS: Readonly<Record<string, number>> = {
  'multi-similarity': similarityScale(LOSS_DEFAULTS['multi-similarity']),
  contrastive: similarityScale(LOSS_DEFAULTS.contrastive),
};
export const FALLBACK_MARGIN = similarityScale(LOSS_DEFAULTS.contrastive);

/**
 * Default staleness threshold on the mean drift D(t; S), derived from the loss margin.
 *
 * A memory entry m was computed S iterations ago; the loss compares the cosine similarity of a
 * fresh query f_q with it. For unit vectors the error of that similarity is
 *   |s_stale - s_fresh| = |f_q . (m_stale - m_fresh)| <= ||m_stale - m_fresh|| = sqrt(D(x))
 * (Cauchy-Schwarz), where D(x) is the entry's own drift over S iterations. Over the memory, the
 * typical error is bounded by the mean drift: E[sqrt(D(x))] <= sqrt(E[D(x)]) = sqrt(D(t; S))
 * (Jensen). Mining and the loss decide on similarities relative to the margin, so we ask that the
 * typical error be a modest fraction of it:
 *   sqrt(D) <= margin / 4   <=>   D <= margin^2 / 16,
 * i.e. D(t; S) <= 0.015625 for the contrastive margin 0.5 (typical error <= 0.125). For a loss
 * without a margin (multi-similarity) the base lambda = 0.5 stands in for it. The fraction 1/4 is
 * a judgement call, not a theorem: override it with `threshold` (e.g. margin^2/4, D <= 0.0625,
 * allows a typical error of half the margin).
 */
export function defaultDriftThreshold(ctx: Pick<WarmupContext, 'margin' | 'lossKind'>): {
  threshold: number;
  margin: number;
  derivation: string;
} {
  const kind = normaliseLossKind(ctx.lossKind);
  const given = Number.isFinite(ctx.margin) && ctx.margin > 0;
  const margin = given ? ctx.margin : (MARGIN_EQUIVALENTS[kind] ?? FALLBACK_MARGIN);
  const threshold = (margin * MARGIN_FRACTION) ** 2;
  return { threshold, margin, derivation: msg.marginDerivation(threshold, margin, kind, given) };
}

export function normaliseLossKind(kind: string): string {
  const k = kind.trim().toLowerCase().replace(/[_\s]+/g, '-');
  return k === 'ms' || k === 'multisimilarity' ? 'multi-similarity' : k;
}
