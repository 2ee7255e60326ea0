/** `--from csv`: any per-request CSV, columns named with --map (see generic.ts). */
import { genericAdapter } from './generic.js';

export const adapter = genericAdapter('csv');
