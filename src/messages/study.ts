/**
 * User-facing texts of the studies (src/study/, scripts/*-study.ts): every error defined once.
 */
export const studyMessages = {
  unknownRegime: (unknown: readonly string[], known: readonly string[], hint: string) =>
    `unknown regime ${unknown.join(', ')}: use ${known.join(', ')}${hint}.`,
  unknownChoice: (what: string, unknown: readonly string[], known: readonly string[]) =>
    `unknown ${what} ${unknown.join(', ')}: use ${known.join(', ')} (or leave the flag out for all).`,
  badConfiguration: (value: string, reducers: readonly string[], adapts: readonly string[]) =>
    `--configuration ${value}: give 'default' (train's defaults) or <reducer>:<adapt>, the reducer one of ${reducers.join(', ')} and the adapt one of ${adapts.join(', ')}.`,
  badYesNo: (flag: string, value: string) => `--${flag} ${value}: give yes or no.`,
  badCount: (flag: string, value: string) => `--${flag} ${value}: give a whole number >= 1.`,
  badIterations: (flag: string, value: string) => `--${flag} ${value}: give a whole number >= 4 (the study starts XBM at a quarter of the budget).`,
  refused: (label: string, problem: string) => `${label}: ${problem}`,
  interrupted: (dir: string) => `Interrupted: run the same command again to continue from ${dir}.`,
  otherPlan: (dir: string, point: string) =>
    `${dir}/sweep.json plans ${point} with other train arguments (another --iterations, --seeds or --backend?): run the study with the settings it was planned with, or give another --out.`,
  otherRun: (dir: string) =>
    `${dir} holds a completed run with another configuration: the sweep would skip it. Run the study locally (it retrains it) or give another --out.`,
  unknownFlag: (script: string, flag: string, known: readonly string[]) => `${flag} is not a ${script} flag: use ${known.map((k) => `--${k}`).join(', ')}.`,
  missingValue: (flag: string) => `${flag} needs a value.`,
  twoModes: (a: string, b: string) => `--${a} and --${b} exclude each other: give one.`,
};
