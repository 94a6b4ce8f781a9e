/** User-facing texts of src/config: every error and warning defined once. */
export const configMessages = {} as const;
