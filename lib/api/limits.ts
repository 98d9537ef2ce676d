/** The largest request body the API reads (64 KiB); anything longer is answered with 413. */
export const MAX_BODY_BYTES = 64 * 1024;

/** How much of an x-integration-name header is kept (as the key's last-used integration and in its access log). */
export const INTEGRATION_NAME_MAX = 200;

/** How long the first answer to an Idempotency-Key is kept and sent again for a retry. */
export const IDEMPOTENCY_HOURS = 24;
