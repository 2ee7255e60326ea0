/**
 * Payload lines serialised in groups: one `JSON.stringify` for a group of payloads instead of
 * one per payload, the array's text then cut back into each payload's own text. Node 20's
 * stringifier starts every call with a 32-character output part and copies a string that may
 * not fit the current part character by character, so a ~500-byte payload pays that slow
 * start on each call; a group pays it once (docs/import.md "Payloads serialised in groups":
 * ~1.9 → ~1.2 µs a payload on Node 20; on Node 22 and 24, which start fast, 3–15 % less).
 *
 * The cuts are found, not assumed: an element of a stringified array is exactly the text
 * `JSON.stringify` gives the element alone, and every payload the import makes starts with
 * its externalRequestId (finish.ts), so each boundary is `},{"externalRequestId":`. That text
 * cannot occur inside a JSON string (its quote would be escaped), only where a nested object
 * in an array starts with that key; then more boundaries are found than there are, and the
 * caller serialises that group one payload at a time.
 */

/** Payloads serialised together (bounds the objects held and the text made at once). */
export const PAYLOAD_GROUP = 64;

const BOUNDARY = '},{"externalRequestId":';

/**
 * `JSON.stringify(group)` and where each payload's text starts in it (`starts[i]`), with
 * `starts[group.length]` one past the last payload's closing brace plus one (so payload i is
 * `text.slice(starts[i], starts[i + 1] - 1)`, and the character at `starts[i + 1] - 1` is a
 * separator: `,` or the closing `]`). Undefined when the cuts are not certain.
 */
export function groupText(group: readonly object[]): { text: string; starts: number[] } | undefined {
  const text = JSON.stringify(group);
  const starts = [1];
  for (let at = text.indexOf(BOUNDARY, 1); at !== -1; at = text.indexOf(BOUNDARY, at + 2)) {
    if (starts.length === group.length) return undefined;
    starts.push(at + 2);
  }
  if (starts.length !== group.length) return undefined;
  starts.push(text.length);
  return { text, starts };
}

/** `buffer`, or a larger one holding its first `used` bytes, with room for `more` bytes after them. */
export function withRoom(buffer: Buffer, used: number, more: number): Buffer {
  if (used + more <= buffer.length) return buffer;
  const grown = Buffer.allocUnsafeSlow(Math.max(buffer.length * 2, used + more));
  buffer.copy(grown, 0, 0, used);
  return grown;
}

/**
 * Writes `group`'s payloads as lines (JSON and a line end) into `buffer` from `at`, growing it
 * (a new buffer, the bytes before `at` copied) when they might not fit; `line(i, start,
 * length)` is told where payload i's line went. One text for the group when it is ASCII and
 * its cuts are certain, else one payload at a time. A line end is written as a byte:
 * `json + '\n'` would make a second copy of every payload.
 */
export function writeGroupLines(
  group: readonly object[],
  buffer: Buffer,
  at: number,
  line: (i: number, start: number, length: number) => void,
): { buffer: Buffer; end: number } {
  let buf = buffer;
  const room = (most: number): Buffer => (buf = withRoom(buf, at, most));
  const cut = group.length > 1 ? groupText(group) : undefined;
  // A UTF-16 unit takes at most 3 UTF-8 bytes. The text goes in without its opening bracket:
  // payload i at starts[i] - 1, its separator (`,` or `]`) made the line end.
  if (cut !== undefined && room(cut.text.length * 3).write(cut.text.slice(1), at) === cut.text.length - 1) {
    const { starts } = cut;
    const base = at - 1;
    for (let i = 0; i < group.length; i++) {
      buf[base + starts[i + 1]! - 1] = 10;
      line(i, base + starts[i]!, starts[i + 1]! - starts[i]!);
    }
    return { buffer: buf, end: base + cut.text.length };
  }
  for (let i = 0; i < group.length; i++) {
    const json = JSON.stringify(group[i]);
    const n = room(json.length * 3 + 1).write(json, at);
    buf[at + n] = 10;
    line(i, at, n + 1);
    at += n + 1;
  }
  return { buffer: buf, end: at };
}
