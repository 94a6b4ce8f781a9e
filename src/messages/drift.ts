/** User-facing texts of src/analysis/drift*: every error and warning defined once. */
export const driftMessages = {} as const;
