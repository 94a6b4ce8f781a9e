/** User-facing texts of src/analysis: every error and warning defined once. */
export const analysisMessages = {} as const;
