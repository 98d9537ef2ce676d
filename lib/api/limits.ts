/** The largest request body the API reads (64 KiB); anything longer is answered with 413. */
export const MAX_BODY_BYTES = 64 * 1024;
