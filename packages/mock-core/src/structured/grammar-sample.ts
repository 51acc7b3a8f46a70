/**
 * Text that a `guided_grammar` / `structured_outputs.grammar` accepts. vLLM's default
 * structured-output backend (xgrammar, "auto" tries it first) takes EBNF grammars in the GBNF
 * style (`root ::= ...`; vllm/v1/structured_output/backend_xgrammar.py validate_xgrammar_grammar)
 * and refuses one it cannot parse with 400 "Invalid grammar specification.". This module parses
 * that form (rules, `|`, sequences, "literals", [classes], ( groups ), rule names, `*` `+` `?`
 * `{m}` `{m,}` `{m,n}`, `#` comments) and draws a sentence from `root` with a seeded generator,
 * taking the shortest way out once deep, so a recursive grammar still ends.
 */
import { seededRandom } from "../engine/random.js";
import { isLikelyLark, larkToEbnf } from "./lark-grammar.js";
import { StructuredOutputError } from "./structured-output-error.js";

/** A grammar expression. */
type Node =
  | { readonly kind: "text"; readonly text: string }
  | {
      readonly kind: "class";
      readonly ranges: readonly [number, number][];
      readonly negated: boolean;
    }
  | { readonly kind: "rule"; readonly name: string }
  | { readonly kind: "seq"; readonly items: readonly Node[] }
  | { readonly kind: "alt"; readonly options: readonly Node[] }
  | { readonly kind: "repeat"; readonly item: Node; readonly min: number; readonly max: number };

/** The parsed rules by name. */
export type Grammar = ReadonlyMap<string, Node>;

/** How many times an unbounded repetition (`*`, `+`, `{m,}`) repeats at most beyond its minimum. */
export const grammarRepeatMax = 4;

/** Rule nesting past which the sampler takes each choice's shortest way out. */
const deep = 12;

/** Characters drawn past which the sampler also takes the shortest way out. */
const budget = 256;

/**
 * Characters past which repetitions stop even short of their minimum: the text then no longer
 * fits the grammar, but no model context (and so no output) is that long.
 */
export const grammarSampleCap = 65_536;
const hardCap = grammarSampleCap;

const invalid = () => new StructuredOutputError("Invalid grammar specification.");

class Parser {
  #at = 0;
  constructor(readonly source: string) {}

  #skip(newlines: boolean): void {
    const s = this.source;
    while (this.#at < s.length) {
      const c = s[this.#at] as string;
      if (c === "#") {
        while (this.#at < s.length && s[this.#at] !== "\n") this.#at += 1;
      } else if (c === " " || c === "\t" || c === "\r" || (newlines && c === "\n")) {
        this.#at += 1;
      } else break;
    }
  }

  #name(): string | undefined {
    const match = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(this.source.slice(this.#at));
    if (!match) return undefined;
    this.#at += match[0].length;
    return match[0];
  }

  /** Whether a rule definition (`name ::=`) starts here. */
  #ruleStarts(): boolean {
    return /^[A-Za-z_][A-Za-z0-9_.-]*[ \t]*::=/.test(this.source.slice(this.#at));
  }

  rules(): Map<string, Node> {
    const rules = new Map<string, Node>();
    this.#skip(true);
    while (this.#at < this.source.length) {
      const name = this.#name();
      this.#skip(false);
      if (name === undefined || !this.source.startsWith("::=", this.#at)) throw invalid();
      this.#at += 3;
      if (rules.has(name)) throw invalid();
      rules.set(name, this.#alternatives(0));
      this.#skip(true);
    }
    return rules;
  }

  #alternatives(depth: number): Node {
    const options = [this.#sequence(depth)];
    while (this.source[this.#at] === "|") {
      this.#at += 1;
      options.push(this.#sequence(depth));
    }
    return options.length === 1 ? (options[0] as Node) : { kind: "alt", options };
  }

  #sequence(depth: number): Node {
    const items: Node[] = [];
    for (;;) {
      // Inside a group any whitespace continues it; at the top a new line may start a new rule.
      this.#skip(true);
      const c = this.source[this.#at];
      if (c === undefined || c === "|" || c === ")") break;
      if (depth === 0 && this.#ruleStarts()) break;
      items.push(this.#postfix(this.#atom(depth)));
    }
    return items.length === 1 ? (items[0] as Node) : { kind: "seq", items };
  }

  #atom(depth: number): Node {
    const c = this.source[this.#at];
    if (c === '"') return { kind: "text", text: this.#literal() };
    if (c === "[") return this.#charClass();
    if (c === "(") {
      this.#at += 1;
      const inner = this.#alternatives(depth + 1);
      this.#skip(true);
      if (this.source[this.#at] !== ")") throw invalid();
      this.#at += 1;
      return inner;
    }
    const name = this.#name();
    if (name === undefined) throw invalid();
    return { kind: "rule", name };
  }

  #postfix(item: Node): Node {
    const c = this.source[this.#at];
    if (c === "*" || c === "+" || c === "?") {
      this.#at += 1;
      const min = c === "+" ? 1 : 0;
      return { kind: "repeat", item, min, max: c === "?" ? 1 : min + grammarRepeatMax };
    }
    const braces = /^\{\s*(\d+)\s*(?:(,)\s*(\d*)\s*)?\}/.exec(this.source.slice(this.#at));
    if (c === "{" && braces) {
      this.#at += braces[0].length;
      const min = Number(braces[1]);
      const max =
        braces[2] === undefined
          ? min
          : braces[3] === ""
            ? min + grammarRepeatMax
            : Number(braces[3]);
      if (max < min) throw invalid();
      return { kind: "repeat", item, min, max };
    }
    return item;
  }

  /** One character, escapes read as GBNF reads them. */
  #char(): number {
    const s = this.source;
    const c = s[this.#at];
    if (c === undefined) throw invalid();
    if (c !== "\\") {
      const code = s.codePointAt(this.#at) as number;
      this.#at += code > 0xffff ? 2 : 1;
      return code;
    }
    const e = s[this.#at + 1];
    this.#at += 2;
    const simple: Record<string, number> = {
      n: 10,
      t: 9,
      r: 13,
      '"': 34,
      "\\": 92,
      "[": 91,
      "]": 93,
      "-": 45,
      "^": 94,
    };
    if (e !== undefined && e in simple) return simple[e] as number;
    const width = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
    const hex = s.slice(this.#at, this.#at + width);
    if (width === 0 || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) throw invalid();
    this.#at += width;
    return Number.parseInt(hex, 16);
  }

  #literal(): string {
    this.#at += 1;
    let text = "";
    while (this.source[this.#at] !== '"') {
      if (this.source[this.#at] === undefined || this.source[this.#at] === "\n") throw invalid();
      text += String.fromCodePoint(this.#char());
    }
    this.#at += 1;
    return text;
  }

  #charClass(): Node {
    this.#at += 1;
    const negated = this.source[this.#at] === "^";
    if (negated) this.#at += 1;
    const ranges: [number, number][] = [];
    while (this.source[this.#at] !== "]") {
      if (this.source[this.#at] === undefined) throw invalid();
      const low = this.#char();
      if (this.source[this.#at] === "-" && this.source[this.#at + 1] !== "]") {
        this.#at += 1;
        const high = this.#char();
        if (high < low) throw invalid();
        ranges.push([low, high]);
      } else ranges.push([low, low]);
    }
    this.#at += 1;
    if (ranges.length === 0) throw invalid();
    return { kind: "class", ranges, negated };
  }
}

function references(node: Node, out: Set<string>): Set<string> {
  if (node.kind === "rule") out.add(node.name);
  if (node.kind === "seq") for (const item of node.items) references(item, out);
  if (node.kind === "alt") for (const option of node.options) references(option, out);
  if (node.kind === "repeat") references(node.item, out);
  return out;
}

/**
 * Parses an EBNF grammar as xgrammar's front end takes it: a `root` rule, every referenced rule
 * defined. Throws a {@link StructuredOutputError} "Invalid grammar specification." (vLLM's 400)
 * otherwise. A Lark grammar (no `::=`) is first rewritten into EBNF as vLLM does (lark-grammar.ts).
 */
export function parseGrammar(grammar: string): Grammar {
  const source = isLikelyLark(grammar) ? larkToEbnf(grammar) : grammar;
  const rules = new Parser(source).rules();
  if (!rules.has("root")) throw invalid();
  for (const node of rules.values()) {
    for (const name of references(node, new Set())) if (!rules.has(name)) throw invalid();
  }
  return rules;
}

/** Each rule's least nesting needed to finish (Infinity: it never ends), by fixed point. */
function finishDepths(grammar: Grammar): Map<string, number> {
  const depths = new Map<string, number>([...grammar.keys()].map((name) => [name, Infinity]));
  const depthOf = (node: Node): number => {
    switch (node.kind) {
      case "text":
      case "class":
        return 0;
      case "rule":
        return (depths.get(node.name) ?? Infinity) + 1;
      case "seq":
        return Math.max(0, ...node.items.map(depthOf));
      case "alt":
        return Math.min(...node.options.map(depthOf));
      case "repeat":
        return node.min === 0 ? 0 : depthOf(node.item);
    }
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, node] of grammar) {
      const depth = depthOf(node);
      if (depth < (depths.get(name) ?? Infinity)) {
        depths.set(name, depth);
        changed = true;
      }
    }
  }
  return depths;
}

/** Printable ASCII, where a negated class draws from. */
const printable: [number, number] = [32, 126];

/**
 * A sentence of the grammar's `root`, the same for the same seed. Throws a
 * {@link StructuredOutputError} (vLLM's 400) for a grammar it cannot read, or one whose `root`
 * can never finish.
 */
export function sampleGrammar(source: string, seed: number): string {
  const grammar = parseGrammar(source);
  const depths = finishDepths(grammar);
  if ((depths.get("root") ?? Infinity) === Infinity) throw invalid();
  const random = seededRandom(seed ^ 0x9e3779b9);
  const pick = (n: number) => Math.floor(random() * n);
  const cost = (node: Node): number => {
    if (node.kind === "rule") return (depths.get(node.name) ?? Infinity) + 1;
    if (node.kind === "seq") return Math.max(0, ...node.items.map(cost));
    if (node.kind === "alt") return Math.min(...node.options.map(cost));
    if (node.kind === "repeat") return node.min === 0 ? 0 : cost(node.item);
    return 0;
  };
  let produced = 0;
  const free = (depth: number) => depth < deep && produced < budget;
  const draw = (node: Node, depth: number): string => {
    switch (node.kind) {
      case "text":
        produced += node.text.length;
        return node.text;
      case "class": {
        produced += 1;
        if (node.negated) {
          const allowed: number[] = [];
          for (let c = printable[0]; c <= printable[1]; c += 1) {
            if (!node.ranges.some(([a, b]) => c >= a && c <= b)) allowed.push(c);
          }
          if (allowed.length === 0) throw invalid();
          return String.fromCodePoint(allowed[pick(allowed.length)] as number);
        }
        const [low, high] = node.ranges[pick(node.ranges.length)] as [number, number];
        return String.fromCodePoint(low + pick(high - low + 1));
      }
      case "rule":
        return draw(grammar.get(node.name) as Node, depth + 1);
      case "seq":
        return node.items.map((item) => draw(item, depth)).join("");
      case "alt": {
        const finite = node.options.filter((option) => cost(option) < Infinity);
        if (free(depth)) return draw(finite[pick(finite.length)] as Node, depth);
        const shortest = finite.reduce((a, b) => (cost(b) < cost(a) ? b : a));
        return draw(shortest, depth);
      }
      case "repeat": {
        if (cost(node.item) === Infinity) return "";
        const times = free(depth) ? node.min + pick(node.max - node.min + 1) : node.min;
        let text = "";
        // A count like {1000000000} stops at the hard cap rather than hang the server.
        for (let i = 0; i < times && produced < hardCap; i += 1) text += draw(node.item, depth);
        return text;
      }
    }
  };
  return draw(grammar.get("root") as Node, 0);
}
