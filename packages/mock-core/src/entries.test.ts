import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import * as chatTemplateEntry from "./chat-template-entry.js";
import * as engineEntry from "./engine-entry.js";
import * as gpuEntry from "./gpu-entry.js";
import * as hostEntry from "./host.js";
import * as everything from "./index.js";
import * as structuredEntry from "./structured-entry.js";

// The package's entries by concept (package.json "exports"): each subpath re-exports part of "."
// and "." keeps exporting all of it, so no user of "@servingkit/mock-core" breaks.
const entries = {
  host: hostEntry,
  engine: engineEntry,
  "chat-template": chatTemplateEntry,
  gpu: gpuEntry,
  structured: structuredEntry,
} as const;

describe("entries by concept", () => {
  test("every entry is a listed subpath whose source condition names its file", () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
      exports: Record<string, Record<string, string>>;
    };
    for (const name of Object.keys(entries)) {
      const target = manifest.exports[`./${name}`];
      expect(target, name).toBeDefined();
      const source = target?.["@servingkit/source"] ?? "";
      expect(source).toMatch(/^\.\/src\/[a-z-]+\.ts$/);
      const file = source.slice("./src/".length, -".ts".length);
      expect(target?.types).toBe(`./dist/${file}.d.ts`);
      expect(target?.default).toBe(`./dist/${file}.js`);
    }
  });

  test('each entry exports the same bindings as "." and together they cover all of it', () => {
    const covered = new Set<string>();
    for (const [name, entry] of Object.entries(entries)) {
      for (const [key, value] of Object.entries(entry)) {
        expect(everything, `${name}: ${key}`).toHaveProperty(key);
        expect((everything as Record<string, unknown>)[key], `${name}: ${key}`).toBe(value);
        covered.add(key);
      }
    }
    expect(Object.keys(everything).filter((key) => !covered.has(key))).toEqual([]);
  });
});

// What a module graph loads, read statically from the sources the "@servingkit/source" condition
// resolves (what tests and typecheck run): value imports and re-exports, following relative paths
// and workspace packages; `import type` and type-only specifiers load nothing at run time.
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const packagesDir = resolve(packageDir, "..");

/** Workspace package name -> subpath -> source file, from each package.json "exports". */
function workspaceSources(): Map<string, string> {
  const sources = new Map<string, string>();
  for (const dir of readdirSync(packagesDir)) {
    let manifest: { name?: string; exports?: Record<string, Record<string, string> | string> };
    try {
      manifest = JSON.parse(readFileSync(join(packagesDir, dir, "package.json"), "utf8"));
    } catch {
      continue;
    }
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      const source = typeof target === "object" ? target["@servingkit/source"] : undefined;
      if (manifest.name && source) {
        sources.set(`${manifest.name}${subpath.slice(1)}`, join(packagesDir, dir, source));
      }
    }
  }
  return sources;
}

const importPattern = /^(?:import|export)\s+(type\s+)?([^;"]*?)\s*(?:from\s*)?"([^"]+)";?$/gms;

/** The files and bare packages a module graph loads, starting from `roots`. */
function moduleGraph(roots: readonly string[]): { files: Set<string>; packages: Set<string> } {
  const sources = workspaceSources();
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const match of readFileSync(file, "utf8").matchAll(importPattern)) {
      const [, typeOnly, clause = "", specifier = ""] = match;
      if (typeOnly) continue;
      const names = /^\{([^}]*)\}$/s.exec(clause.trim())?.[1];
      const allTypes = names
        ?.split(",")
        .map((name) => name.trim())
        .filter(Boolean)
        .every((name) => name.startsWith("type "));
      if (allTypes) continue;
      if (specifier.startsWith(".")) {
        visit(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
      } else if (sources.has(specifier)) {
        visit(sources.get(specifier) ?? "");
      } else {
        packages.add(specifier);
      }
    }
  };
  for (const root of roots) visit(root);
  return { files, packages };
}

const gpuEngineFiles = ["gpu/engine-core.ts", "gpu/gpu-engine.ts", "engine/gpu-text-engine.ts"];
const jinja = "@huggingface/jinja";

function inMockCore(files: Set<string>): string[] {
  return [...files]
    .filter((file) => file.startsWith(join(packageDir, "src")))
    .map((file) => relative(join(packageDir, "src"), file));
}

describe("what each entry loads", () => {
  test('"." loads all of it: the GPU engine, jinja and tokenizers (the walker sees them)', () => {
    const { files, packages } = moduleGraph([join(packageDir, "src/index.ts")]);
    const loaded = inMockCore(files);
    for (const file of gpuEngineFiles) expect(loaded).toContain(file);
    expect(packages).toContain(jinja);
    expect(packages).toContain("@huggingface/tokenizers");
  });

  test("the host loads no engine, tokenizer, chat template, structured output or GPU model", () => {
    const { files, packages } = moduleGraph([join(packageDir, "src/host.ts")]);
    const loaded = inMockCore(files);
    // latency-options.ts is the table of two pacing flags runtime modules declare: no engine code.
    expect(loaded.filter((file) => /^(engine|gpu)\//.test(file))).toEqual([
      "engine/latency-options.ts",
    ]);
    expect(loaded.filter((file) => file.startsWith("structured/"))).toEqual([
      "structured/python-json.ts",
    ]);
    expect([...packages].filter((name) => name.startsWith("@huggingface/"))).toEqual([]);
    expect(packages).not.toContain("randexp");
  });

  test("the engine entry loads tokenizers but neither the GPU engine nor jinja", () => {
    const { files, packages } = moduleGraph([join(packageDir, "src/engine-entry.ts")]);
    const loaded = inMockCore(files);
    for (const file of gpuEngineFiles) expect(loaded).not.toContain(file);
    expect(packages).toContain("@huggingface/tokenizers");
    expect(packages).not.toContain(jinja);
  });

  test("the GPU entry loads the GPU engine, and only the chat-template entry loads jinja", () => {
    const gpu = inMockCore(moduleGraph([join(packageDir, "src/gpu-entry.ts")]).files);
    for (const file of gpuEngineFiles) expect(gpu).toContain(file);
    expect(moduleGraph([join(packageDir, "src/chat-template-entry.ts")]).packages).toContain(jinja);
    expect(moduleGraph([join(packageDir, "src/gpu-entry.ts")]).packages).not.toContain(jinja);
  });

  // The Triton mock's heap once held ~10 MB of module source because "." loads all.
  test("the KServe v2 mock (Triton, MLServer, OVMS, ModelMesh) loads neither the GPU engine nor jinja", () => {
    const { files, packages } = moduleGraph([join(packagesDir, "kserve/src/mock.ts")]);
    const loaded = inMockCore(files);
    expect(loaded).not.toContain("index.ts");
    for (const file of gpuEngineFiles) expect(loaded).not.toContain(file);
    expect(packages).not.toContain(jinja);
  });

  test("starting a mock from @servingkit/mocks loads the host alone until a runtime module loads", () => {
    const { files, packages } = moduleGraph([join(packagesDir, "mocks/src/start-runtime-mock.ts")]);
    const loaded = inMockCore(files);
    expect(loaded).not.toContain("index.ts");
    expect(loaded.filter((file) => file.startsWith("gpu/"))).toEqual([]);
    expect(packages).not.toContain(jinja);
    expect(packages).not.toContain("@huggingface/tokenizers");
  });
});
