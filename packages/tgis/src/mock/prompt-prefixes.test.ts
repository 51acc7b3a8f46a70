import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultPrefixStorePath, prefixStore } from "./prompt-prefixes.js";

describe("prefixStore", () => {
  it("reads TGIS's PREFIX_STORE_PATH, default prompt_prefixes", () => {
    // prompt_cache.py: Path(os.getenv("PREFIX_STORE_PATH", "prompt_prefixes")).
    expect(defaultPrefixStorePath({})).toBe("prompt_prefixes");
    expect(defaultPrefixStorePath({ PREFIX_STORE_PATH: "/prefixes" })).toBe("/prefixes");
  });

  it("finds decoder.pt prefixes, needs decoder.pt on a decoder-only model, and caches hits", () => {
    // prompt_cache.py _load_embedding_tensors: a decoder-only model must have decoder.pt.
    const root = mkdtempSync(join(tmpdir(), "tgis-prefix-"));
    mkdirSync(join(root, "team/a"), { recursive: true });
    writeFileSync(join(root, "team/a/decoder.pt"), "x");
    mkdirSync(join(root, "enc"));
    writeFileSync(join(root, "enc/encoder.pt"), "x");
    const store = prefixStore(root, 100, false, 4);
    expect(store.length("team/a")).toBe(4);
    expect(() => store.length("enc")).toThrow('prefix id "enc" not found');
    expect(prefixStore(root, 100, true, 4).length("enc")).toBe(4);
    // The router caches successful lookups (validation.rs prefix_cache).
    rmSync(join(root, "team"), { recursive: true });
    expect(store.length("team/a")).toBe(4);
  });
});
