/** User-facing texts of src/report: every error and warning defined once. */
export const reportMessages = {} as const;
