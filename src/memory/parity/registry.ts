import { UserError } from '../../errors.js';
import { configMessages } from '../../messages/config.js';
import type { ParityMode } from './parity.js';
import { pml } from './pml.js';
import { researchXbm } from './research-xbm.js';
import { tfSimilarity } from './tf-similarity.js';

/** Every parity mode, one line each (a new one: a file exporting a ParityMode and a line here). */
export const PARITY_MODES = [researchXbm, pml, tfSimilarity] as const;

export type ParityKind = (typeof PARITY_MODES)[number]['kind'];
export const PARITY_KINDS: readonly ParityKind[] = PARITY_MODES.map((p) => p.kind);

/** The registered parity mode of this kind, or a UserError listing the known ones. */
export function parityMode(kind: string): ParityMode<ParityKind> {
  const p = PARITY_MODES.find((m) => m.kind === kind);
  if (!p) throw new UserError(configMessages.unknownChoice('parity', String(kind), PARITY_KINDS));
  return p;
}
