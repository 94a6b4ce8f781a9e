/** User-facing texts of src/demo: every error and warning defined once. */
export const demoMessages = {
  interrupted: (stage: string, runDir: string) =>
    `demo interrupted during the ${stage} run, which is saved in ${runDir} (\`xbm-drift train --resume ${runDir}\` continues it); run the demo again for the whole pipeline.`,
  outIsFile: (out: string) => `--out ${out} is a file: give a folder for the demo (new, or an earlier demo's).`,
  outIsRun: (out: string, kind: string) =>
    `--out ${out} is a ${kind} folder, not a demo's: give a new folder (or an earlier demo's) for the demo's two runs and report.`,
  outForeign: (out: string, entry: string) =>
    `--out ${out} holds ${entry}, which the demo does not write: give a new folder (or an earlier demo's, which the demo replaces).`,
  outHoldsDemo: (out: string) => `--out ${out} holds an earlier demo and --no-overwrite keeps it: drop --no-overwrite to replace it, or give another --out.`,
} as const;
