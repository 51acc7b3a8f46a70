/**
 * Bytes from hex strings, so a test can write a hand-assembled protobuf message one field per
 * line with a comment: `hex("0a 01 6d", "1a 01 72")`. Whitespace inside a string is ignored.
 */
export function hex(...parts: string[]): Uint8Array {
  const digits = parts.join("").replace(/\s+/g, "");
  if (!/^(?:[0-9a-f]{2})*$/i.test(digits)) throw new Error(`not hex bytes: ${digits}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}
