/** User-facing texts of src/losses: every error and warning defined once. */
export const lossesMessages = {} as const;
