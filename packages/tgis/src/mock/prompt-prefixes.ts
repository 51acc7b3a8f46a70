/**
 * TGIS's prompt prefixes (`prefix_id`): tuned soft prompts the server loads by id from its prefix
 * store directory and puts before the input as virtual tokens. The router asks the model shard
 * for a prefix's length once and caches it; an id the shard cannot load fails validation with
 * "can't retrieve prompt prefix with id '<id>': <shard error>".
 *
 * Sources: IBM/text-generation-inference `router/src/validation.rs` (PromptPrefix error, prefix
 * length in the length checks, cache of successful lookups), `server/text_generation_server/
 * prompt_cache.py` (PREFIX_STORE_PATH default `prompt_prefixes`, VALID_PREFIX_ID_PATTERN, the
 * files `<id>/decoder.pt`, `<id>/encoder.pt`, PEFT `<id>/adapter_model.safetensors|.bin`,
 * "Prefix id <id> not found", "Invalid prefix embedding length of <n>"), `server.py`
 * (PrefixLookup: NOT_FOUND `prefix id "<id>" not found`), `router/client/src/lib.rs`
 * (ClientError::Generation shows the shard's message).
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join, normalize } from "node:path";

/** Where TGIS looks for prefixes: `$PREFIX_STORE_PATH`, default `prompt_prefixes` (cwd). */
export function defaultPrefixStorePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PREFIX_STORE_PATH ?? "prompt_prefixes";
}

/** Resolves a prefix id to its number of virtual tokens. */
export interface PromptPrefixes {
  /**
   * The prefix's length in virtual tokens; throws an Error whose message is the text TGIS puts
   * after "can't retrieve prompt prefix with id '<id>': ".
   */
  length(prefixId: string): number;
}

const validPrefixId = /^[/\w-]+$/;

/**
 * The rows of the `prompt_embeddings` tensor of a safetensors file (its JSON header), or
 * undefined when the file has no such 2-D tensor.
 */
function safetensorsRows(path: string): number | undefined {
  const fd = openSync(path, "r");
  try {
    const size = Buffer.alloc(8);
    if (readSync(fd, size, 0, 8, 0) < 8) return undefined;
    const headerLength = Number(size.readBigUInt64LE(0));
    if (headerLength <= 0 || headerLength > 16 * 1024 * 1024) return undefined;
    const header = Buffer.alloc(headerLength);
    readSync(fd, header, 0, headerLength, 8);
    const tensors = JSON.parse(header.toString("utf8")) as Record<string, { shape?: number[] }>;
    const shape = tensors.prompt_embeddings?.shape;
    return shape?.length === 2 ? shape[0] : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Prefixes in a directory laid out as TGIS's prefix store. The mock reads the length of PEFT
 * prefixes saved as `adapter_model.safetensors` (the `prompt_embeddings` rows); a `decoder.pt` /
 * `encoder.pt` / `adapter_model.bin` prefix is torch pickle, which the mock does not parse: it
 * counts as `pickleRows` virtual tokens. Successful lookups are cached, as the router caches them.
 *
 * @param maxLength the model's max sequence length (a longer prefix is invalid)
 * @param encoderDecoder whether the model is encoder-decoder (then `encoder.pt` alone will do;
 *   a decoder-only model needs `decoder.pt`)
 * @param pickleRows virtual tokens of a prefix the mock cannot read; default 1
 */
export function prefixStore(
  root: string,
  maxLength: number,
  encoderDecoder = false,
  pickleRows = 1,
): PromptPrefixes {
  const cache = new Map<string, number>();
  const unexpected = (text: string) =>
    // An exception other than PrefixNotFound escapes PrefixLookup: grpc-python answers UNKNOWN
    // "Unexpected <class 'Exception'>: <text>" (derived).
    new Error(`Unexpected <class 'Exception'>: ${text}`);
  return {
    length(prefixId) {
      const known = cache.get(prefixId);
      if (known !== undefined) return known;
      if (!validPrefixId.test(prefixId)) {
        throw unexpected(
          `Invalid prefix id ${prefixId}, must contain only alphanumeric, _ and - and /`,
        );
      }
      const dir = join(root, prefixId);
      if (!normalize(dir).startsWith(`${normalize(root)}/`)) {
        throw unexpected(`Invalid prefix id ${prefixId}`);
      }
      const file = (name: string) => {
        const path = join(dir, name);
        return existsSync(path) && statSync(path).isFile() ? path : undefined;
      };
      const isDir = existsSync(dir) && statSync(dir).isDirectory();
      const peft =
        isDir && readdirSync(dir).some((f) => f.replace(/\.[^.]*$/, "") === "adapter_model");
      let rows: number | undefined;
      if (peft) {
        const safetensors = file("adapter_model.safetensors");
        if (safetensors) {
          rows = safetensorsRows(safetensors);
          // The file lacks the `prompt_embeddings` tensor: a KeyError escapes (derived).
          if (rows === undefined) {
            throw new Error("Unexpected <class 'KeyError'>: 'prompt_embeddings'");
          }
        } else if (file("adapter_model.bin")) {
          rows = pickleRows;
        }
      } else if (file("decoder.pt") || (encoderDecoder && file("encoder.pt"))) {
        rows = pickleRows;
      }
      if (rows === undefined) throw new Error(`prefix id "${prefixId}" not found`);
      if (rows === 0 || rows > maxLength) {
        throw unexpected(`Invalid prefix embedding length of ${rows}`);
      }
      cache.set(prefixId, rows);
      return rows;
    },
  };
}
