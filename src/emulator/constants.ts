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
/**
 * The dashboard user's Bearer token the emulator accepts on the Bearer endpoints
 * (settings/workspace-status, the test/demo cleanup) when no --bearer-token /
 * OPSMETER_EMULATOR_TOKEN is given. Like DEFAULT_EMULATOR_KEY: local, documented, not a secret.
 */
export const DEFAULT_EMULATOR_TOKEN = 'om_user_token_local';
/** soft: past the budget, rows are still accepted and flagged budgetExceeded; hard: 402. */
export const BUDGET_MODES = ['soft', 'hard'] as const;
export type BudgetMode = (typeof BUDGET_MODES)[number];
export const CLEANUP_SCOPES = ['mine', 'workspace'] as const;
export type CleanupScope = (typeof CLEANUP_SCOPES)[number];
