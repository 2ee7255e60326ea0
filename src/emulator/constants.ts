/**
 * Emulator constants that the CLI needs without loading the server (start-up cost).
 */

/** The key `opsmeter emulate` accepts when no --api-key / OPSMETER_API_KEY is given. */
export const DEFAULT_EMULATOR_KEY = 'om_test_local';
export const DEFAULT_EMULATOR_HOST = '127.0.0.1';
export const DEFAULT_EMULATOR_PORT = 8787;
/** Largest request body accepted; bigger ones get 413. No limit is documented for the real API. */
export const MAX_BODY_BYTES = 1_048_576;
/** Share of a budget at which `budgetWarning` turns on (the docs' example `warningThresholdRatio`). */
export const BUDGET_WARNING_RATIO = 0.8;
export const RETRY_AFTER_MODES = ['seconds', 'http-date', 'none'] as const;
export type RetryAfterMode = (typeof RETRY_AFTER_MODES)[number];
