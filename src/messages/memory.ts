/** User-facing texts of src/memory: every error and warning defined once. */
export const memoryMessages = {} as const;
