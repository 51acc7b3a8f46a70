/**
 * Lark grammars as vLLM takes them for the xgrammar backend (vllm/v1/structured_output/utils.py
 * `grammar_is_likely_lark`, `convert_lark_to_ebnf`): a grammar none of whose lines (comments
 * `#` and `//` removed) holds `::=` is Lark, rewritten line by line into EBNF before xgrammar
 * reads it: `name: def` (a leading `?` dropped) and `| alt` lines become `name ::= def | alt`,
 * single-quoted strings double-quoted, and `root ::= <start, else the first rule>` goes first.
 * A grammar the rewrite cannot take is vLLM's 400 "Failed to convert the grammar from Lark to
 * EBNF. " (its trailing space included).
 */
import { StructuredOutputError } from "./structured-output-error.js";

function withoutComment(line: string): string {
  return line.replace(/(#|\/\/).*$/, "").trim();
}

/** Whether vLLM would read `grammar` as Lark: no line defines a rule with `::=`. */
export function isLikelyLark(grammar: string): boolean {
  if (grammar === "") return false;
  return !grammar.split("\n").some((line) => withoutComment(line).includes("::="));
}

const refused = () =>
  new StructuredOutputError("Failed to convert the grammar from Lark to EBNF. ");

/** The rule names a definition refers to (quoted strings and operators taken out). */
function references(definition: string): string[] {
  const bare = definition.replace(/"[^"]*"/g, "").replace(/[+*?()|[\]{}]/g, " ");
  return bare.match(/\b[a-zA-Z_][a-zA-Z0-9_]*\b/g) ?? [];
}

function quoted(text: string): string {
  const single = (text.match(/'/g) ?? []).length;
  const double = (text.match(/"/g) ?? []).length;
  if (single % 2 !== 0 || double % 2 !== 0) throw refused();
  return text.replace(/'([^']*)'/g, '"$1"');
}

/**
 * The EBNF vLLM makes of a Lark grammar; throws a {@link StructuredOutputError} (vLLM's 400)
 * where the rewrite fails.
 */
export function larkToEbnf(grammar: string): string {
  const lines = grammar
    .split("\n")
    .map(withoutComment)
    .filter((line) => line !== "");
  if (lines.length === 0) throw refused();
  const isRule = (line: string) => line.includes(":") && !line.startsWith("|");
  const nameOf = (line: string) => (line.split(":", 1)[0] ?? "").trim().replace(/^\?+|\?+$/g, "");
  const defined = new Set(lines.filter(isRule).map(nameOf));
  if (defined.size === 0) throw refused();
  const first = defined.has("start") ? "start" : ([...defined][0] as string);
  const output = [`root ::= ${first}`];
  const referenced = new Set<string>();
  let current: { name: string; options: string[] } | undefined;
  const flush = () => {
    if (current) output.push(`${current.name} ::= ${current.options.join(" | ")}`);
  };
  for (const line of lines) {
    if (isRule(line)) {
      flush();
      const definition = quoted(line.slice(line.indexOf(":") + 1));
      for (const name of references(definition)) referenced.add(name);
      current = { name: nameOf(line), options: [definition.trim()] };
    } else if (line.startsWith("|")) {
      if (!current) throw refused();
      const option = quoted(line.slice(1).trim());
      for (const name of references(option)) referenced.add(name);
      current.options.push(option);
    }
  }
  flush();
  for (const name of referenced) if (!defined.has(name) && name !== "root") throw refused();
  return output.join("\n");
}
