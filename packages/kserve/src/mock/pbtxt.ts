/**
 * A reader for protobuf text format, enough for Triton's `config.pbtxt`: scalar fields
 * (`name: "x"`, `max_batch_size: 8`, `data_type: TYPE_FP32`), messages (`input { ... }` or
 * `input: { ... }`), lists (`dims: [ 3, -1 ]`, `input [ { ... }, { ... } ]`), `#` comments.
 * Repeated fields become arrays; an error names the line of the problem.
 */

/** A parsed text-format message: fields to values; repeated fields hold arrays. */
export interface TextMessage {
  [field: string]: TextValue;
}

/** A text-format value. */
export type TextValue = string | number | boolean | TextMessage | TextValue[];

type Token = { kind: "ident" | "number" | "string" | "punct"; text: string; line: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /\s+|#[^\n]*|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(-?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)[fF]?)|([A-Za-z_][\w.]*)|([{}[\]:,;<>])|(.)/gy;
  let line = 1;
  for (let match = pattern.exec(source); match !== null; match = pattern.exec(source)) {
    const [text, str, num, ident, punct, bad] = match;
    if (bad !== undefined) throw new SyntaxError(`config.pbtxt line ${line}: unexpected '${bad}'`);
    if (str !== undefined)
      tokens.push({
        kind: "string",
        text: JSON.parse(`"${str.slice(1, -1).replace(/"/g, '\\"')}"`),
        line,
      });
    else if (num !== undefined)
      tokens.push({ kind: "number", text: num.replace(/[fF]$/, ""), line });
    else if (ident !== undefined) tokens.push({ kind: "ident", text: ident, line });
    else if (punct !== undefined) tokens.push({ kind: "punct", text: punct, line });
    line += text.split("\n").length - 1;
    if (pattern.lastIndex >= source.length) break;
  }
  return tokens;
}

/** Parses protobuf text format into a {@link TextMessage}. Throws SyntaxError naming the line. */
export function parseTextProto(source: string): TextMessage {
  const tokens = tokenize(source);
  let i = 0;
  const peek = () => tokens[i];
  const fail = (what: string): never => {
    throw new SyntaxError(`config.pbtxt line ${peek()?.line ?? "end"}: ${what}`);
  };
  const take = (text?: string): Token => {
    const token = tokens[i];
    if (!token || (text !== undefined && token.text !== text))
      fail(`expected ${text ?? "a value"}`);
    i += 1;
    return token as Token;
  };
  const scalar = (token: Token): TextValue => {
    if (token.kind === "number") return Number(token.text);
    if (token.kind === "string") return token.text;
    if (token.kind === "ident") {
      if (token.text === "true") return true;
      if (token.text === "false") return false;
      return token.text;
    }
    return fail(`unexpected '${token.text}'`);
  };
  const value = (): TextValue => {
    const token = peek();
    if (token?.text === "{" || token?.text === "<") return message(token.text === "{" ? "}" : ">");
    if (token?.text === "[") {
      take("[");
      const items: TextValue[] = [];
      while (peek()?.text !== "]") {
        items.push(value());
        if (peek()?.text === ",") take(",");
        else if (peek()?.text !== "]") fail("expected ',' or ']'");
      }
      take("]");
      return items;
    }
    return scalar(take());
  };
  const message = (close?: string): TextMessage => {
    if (close) take(close === "}" ? "{" : "<");
    const fields: TextMessage = {};
    while (i < tokens.length && peek()?.text !== close) {
      const name = take();
      if (name.kind !== "ident") fail(`expected a field name, got '${name.text}'`);
      if (peek()?.text === ":") take(":");
      const v = value();
      const previous = fields[name.text];
      const items = Array.isArray(v) ? v : [v];
      if (previous === undefined) fields[name.text] = v;
      else fields[name.text] = [...(Array.isArray(previous) ? previous : [previous]), ...items];
      if (peek()?.text === "," || peek()?.text === ";") take();
    }
    if (close) take(close);
    return fields;
  };
  return message();
}
