/** User-facing texts of src/model: every error and warning defined once. */
export const modelMessages = {} as const;
