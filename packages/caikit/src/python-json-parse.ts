/**
 * Parses JSON as caikit writes it: Python's `json.dumps` writes non-finite floats as bare
 * `NaN`, `Infinity` and `-Infinity` (caikit-tgis.md §1.4), which `JSON.parse` refuses. TGIS gives
 * the first input token a NaN logprob (utils/tokens.py `get_input_tokens_info`), so Caikit TGIS
 * answers with them whenever `input_tokens` and `token_logprobs` are asked.
 */

const marker = "\u0000py:";
const words: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
};

/** `JSON.parse`, also reading Python's bare `NaN`, `Infinity` and `-Infinity` as numbers. */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
  }
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const word = ["-Infinity", "Infinity", "NaN"].find((w) => text.startsWith(w, i));
    if (word) {
      out += JSON.stringify(marker + word);
      i += word.length - 1;
      continue;
    }
    out += c;
  }
  return JSON.parse(out, (_key, value: unknown) =>
    typeof value === "string" && value.startsWith(marker)
      ? words[value.slice(marker.length)]
      : value,
  );
}
