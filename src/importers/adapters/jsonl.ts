/** `--from jsonl`: any per-request JSONL, fields named with --map (see generic.ts). */
import { genericAdapter } from './generic.js';

export const adapter = genericAdapter('jsonl');
