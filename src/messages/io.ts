/** User-facing texts of src/io: every error and warning defined once. */
export const ioMessages = {} as const;
