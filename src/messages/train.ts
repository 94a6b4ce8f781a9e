/** User-facing texts of src/train: every error and warning defined once. */
export const trainMessages = {} as const;
