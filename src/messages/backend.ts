/** User-facing texts of src/backend: every error and warning defined once. */
export const backendMessages = {} as const;
