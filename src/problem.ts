/**
 * The one problem model every output format of `validate` is derived from (pretty, json,
 * github, sarif, junit) and the programmatic API returns. The emulator's 400 body lists the
 * same rule, pointer, message and hint of each lint finding, without file positions.
 */
import type { Severity } from './contract/rules.js';

export interface Problem {
  /** Display name of the file ("<stdin>" or --stdin-filename for stdin). */
  file: string;
  /** 1-based line of the offending value (or of the record when the value is missing). */
  line: number;
  /** 1-based column, in characters. */
  column: number;
  /** RFC 6901 pointer into the file's JSON ("" for the whole record; "/3/model" in an array file). */
  pointer: string;
  rule: string;
  severity: Severity;
  message: string;
  hint?: string;
  /** The source line, for pretty's code frame (not part of machine formats). */
  excerpt?: string;
  /** Column of the excerpt's first character when it is only the tail of a long line (a one-line JSON array). */
  excerptColumn?: number;
}
