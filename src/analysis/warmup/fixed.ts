/** Fixed start: the classic hand-picked iteration (1,000 in the paper). Drift plays no part. */
export function fixedStartReached(iteration: number, start: number): boolean {
  return iteration >= start;
}
