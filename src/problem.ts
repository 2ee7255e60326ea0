/**
 * The one problem model every output format of `validate` is derived from (pretty, json,
 * github, sarif, junit) and the programmatic API returns. The emulator's 400 body lists the
 * same rule, pointer, message and hint of each lint finding, without file positions; its
 * report (`emulate --report`) is made of these problems, each located in a request's body.
 */
import type { Severity } from './contract/rules.js';

/** The request a problem was found in (`opsmeter emulate`'s report), instead of a file. */
export interface ProblemRequest {
  /** The emulator's request number (1, 2, … in order of arrival). */
  number: number;
  /** Arrival, ISO 8601 UTC. */
  time: string;
  method: string;
  path: string;
  externalRequestId?: string;
}

export interface Problem {
  /** Display name of the file ("<stdin>" or --stdin-filename for stdin); for a request, "request N (METHOD PATH, TIME)". */
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
  /** For a problem in a request's body (emulate's report): which request; line and column are in its body. */
  request?: ProblemRequest;
}
