/** User-facing texts of src/data: every error and warning defined once. */
export const dataMessages = {} as const;
