import { miningMessages as M } from '../messages/mining.js';

/**
 * The adaptive controller: keeps the mined batches informative by moving the neighbourhood size k
 * (where negatives come from; smaller = closer = harder) from the training signal. Every `window`
 * iterations it averages the fraction of the batch's pairs that receive a gradient (active pairs /
 * valid pairs, the step's own counts): below `low` the batches have become too easy, so k halves;
 * above `high` too hard, so k doubles; within the band k stays. k stays in [min, max].
 * Harwood et al. adjust the mining hyper-parameters from the training signal; docs/smart-mining.md
 * says where this rule is ours.
 */
export interface ControllerSettings {
  window: number;
  low: number;
  high: number;
  min: number;
  max: number;
}

export const CONTROLLER_DEFAULTS = { window: 25, low: 0.1, high: 0.5 } as const;

export interface ControllerState {
  neighbours: number;
  /** the active fractions of the current window */
  window: number[];
  windowStart: number;
  /** every adjustment so far, with its reason (run.json) */
  history: Adjustment[];
}

export interface Adjustment {
  iteration: number;
  kind: 'smart-harder' | 'smart-easier';
  from: number;
  to: number;
  signal: number;
  reason: string;
}

export class SmartController {
  private state: ControllerState;
  constructor(private readonly settings: ControllerSettings, private readonly enabled: boolean, initial: number | ControllerState) {
    this.state = typeof initial === 'number'
      ? { neighbours: clamp(initial, settings), window: [], windowStart: 1, history: [] }
      : { ...initial, window: [...initial.window], history: [...initial.history] };
  }

  get history(): readonly Adjustment[] {
    return this.state.history;
  }

  get neighbours(): number {
    return this.state.neighbours;
  }

  /** One step's signal (active pairs / valid pairs) after iteration t; returns the adjustment made, if any. */
  observe(t: number, activeFraction: number): Adjustment | null {
    if (!this.enabled) return null;
    const s = this.state;
    if (s.window.length === 0) s.windowStart = t;
    if (Number.isFinite(activeFraction)) s.window.push(activeFraction);
    if (t - s.windowStart + 1 < this.settings.window) return null;
    const values = s.window;
    const first = s.windowStart;
    s.window = [];
    if (values.length === 0) return null;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const { low, high } = this.settings;
    const from = s.neighbours;
    if (mean < low) {
      const to = clamp(Math.floor(from / 2), this.settings);
      if (to === from) return null;
      return this.adjust({ iteration: t, kind: 'smart-harder', from, to, signal: mean, reason: M.harder(mean, low, from, to, first, t) });
    }
    if (mean > high) {
      const to = clamp(from * 2, this.settings);
      if (to === from) return null;
      return this.adjust({ iteration: t, kind: 'smart-easier', from, to, signal: mean, reason: M.easier(mean, high, from, to, first, t) });
    }
    return null;
  }

  private adjust(a: Adjustment): Adjustment {
    this.state.neighbours = a.to;
    this.state.history.push(a);
    return a;
  }

  snapshot(): ControllerState {
    return { ...this.state, window: [...this.state.window], history: this.state.history.map((a) => ({ ...a })) };
  }
}

function clamp(k: number, s: ControllerSettings): number {
  return Math.max(s.min, Math.min(s.max, k));
}
