/** User-facing texts of src/demo: every error and warning defined once. */
export const demoMessages = {
  interrupted: (stage: string, runDir: string) =>
    `demo interrupted during the ${stage} run, which is saved in ${runDir} (\`xbm-drift train --resume ${runDir}\` continues it); run the demo again for the whole pipeline.`,
} as const;
