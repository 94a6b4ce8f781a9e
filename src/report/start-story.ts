import type { StartDecision } from '../io/formats/start-decision.js';
import type { SuggestionSource } from './types.js';

/** What a run says about its XBM start: run.json's decision and analysis/warmup.json's suggestion. */
export interface StartFacts {
  key: string;
  start: number | null | undefined;
  decision?: StartDecision;
  suggestion?: StartDecision;
  suggestionSource?: SuggestionSource;
}

/**
 * Who chose a run's XBM start, told once for the page, the figure labels and the drift figure's
 * threshold:
 * - 'online': a warm-up policy decided while this run trained (run.json `xbm.decision`; it may
 *   not have fired, then the start is null);
 * - 'suggestion': the configuration fixes the start a policy suggested in analysis/warmup.json
 *   (the demo copies the baseline's decision into its XBM run);
 * - 'configuration': a fixed start, nothing says where it came from;
 * - 'off': no XBM (a suggestion may still be shown); 'unknown': nothing recorded.
 */
export interface StartStory {
  chooser: 'online' | 'suggestion' | 'configuration' | 'off' | 'unknown';
  /** The policy decision behind the start (for 'off': the suggestion), if any. */
  decision?: StartDecision;
  /** The run whose drift that decision read: its key, its path when not in the report, or null for this run. */
  readOn: string | null;
  /** Who wrote the suggestion, for 'suggestion' and 'off'. */
  writer?: SuggestionSource['writer'];
}

const isPolicy = (d: StartDecision | undefined): d is StartDecision => d !== undefined && d.policy !== 'fixed';

function suggestionRun(r: StartFacts): string | null {
  const src = r.suggestionSource;
  if (!src) return null;
  const on = src.key ?? src.run;
  return on === r.key ? null : on;
}

export function startStory(r: StartFacts): StartStory {
  if (isPolicy(r.decision)) return { chooser: 'online', decision: r.decision, readOn: null };
  const s = r.suggestion;
  const fromSuggestion = { decision: s, readOn: s ? suggestionRun(r) : null, writer: s ? r.suggestionSource?.writer : undefined };
  if (r.start === null) return { chooser: 'off', ...fromSuggestion };
  if (r.start === undefined) return { chooser: 'unknown', readOn: null };
  if (s && s.start === r.start && isPolicy(s)) return { chooser: 'suggestion', ...fromSuggestion };
  return { chooser: 'configuration', readOn: null };
}

/** The second line of a start marker: the policy, and the run it read when that is another. */
export function chooserTag(story: StartStory): string {
  if (story.chooser === 'configuration' || !story.decision) return 'fixed';
  return story.readOn === null ? story.decision.policy : `${story.decision.policy} on ${story.readOn}`;
}

/** The facts of a loaded run (RunTables) for startStory. */
export const runStartFacts = (r: { key: string; xbm: { start: number | null | undefined; decision?: StartDecision }; suggestion?: StartDecision; suggestionSource?: SuggestionSource }): StartFacts => ({
  key: r.key,
  start: r.xbm.start,
  decision: r.xbm.decision,
  suggestion: r.suggestion,
  suggestionSource: r.suggestionSource,
});
