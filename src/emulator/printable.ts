/**
 * Text that came from a client, made safe to print (docs/emulate.md, "What it prints"): an
 * `externalRequestId`, a path or a lint message can hold a newline (a forged log line), an
 * escape sequence (a terminal told to move the cursor, retitle the window or recolour what
 * follows), a C1 control (U+009B is CSI on some terminals) or a bidirectional override (text
 * shown in another order than it is read). Each such character is written as a JSON-style
 * escape, so the text stays readable and unambiguous; everything else is left as it is.
 */

/** C0 controls, DEL, C1 controls, the line and paragraph separators, and the bidi embeddings, overrides and isolates. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const escapeOne = (c: string) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** The text with every control or bidi character escaped (a string without any is returned as is). */
export function printable(text: string): string {
  UNPRINTABLE.lastIndex = 0;
  return UNPRINTABLE.test(text) ? text.replace(UNPRINTABLE, escapeOne) : text;
}

/**
 * One JSON line: JSON.stringify escapes C0 controls but leaves C1 controls, the separators and
 * the bidi characters raw; those get \u escapes too (still the same JSON value when parsed).
 */
export function jsonLine(value: unknown): string {
  const text = JSON.stringify(value);
  UNPRINTABLE.lastIndex = 0;
  return UNPRINTABLE.test(text) ? text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
}
