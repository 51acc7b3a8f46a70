import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as browser from "./browser.js";
import { Code } from "./code.js";
import * as node from "./index.js";
import { ServingkitError } from "./servingkit-error.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Every module specifier imported at run time (not `import type`) by a source file. */
function runtimeImports(file: string): string[] {
  const source = readFileSync(join(here, file), "utf8");
  const specifiers: string[] = [];
  const pattern = /^\s*(?:import|export)\s+(?!type\s)(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']/gm;
  for (const match of source.matchAll(pattern)) {
    const specifier = match[1];
    const statement = match[0];
    // `import { type A, type B } from` and `export { type A } from` carry no run-time import
    // only when every name is a type; keep the check simple and strict: count them all.
    if (specifier !== undefined && !/^\s*(import|export)\s+type\s/.test(statement)) {
      specifiers.push(specifier);
    }
  }
  for (const match of source.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)) {
    if (match[1] !== undefined) {
      specifiers.push(match[1]);
    }
  }
  return specifiers;
}

/** The run-time module graph reachable from an entry file, local files as `./x.ts`. */
function graph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) {
      continue;
    }
    files.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith("./")) {
        queue.push(specifier.replace(/\.js$/, ".ts").slice(2));
      } else {
        packages.add(specifier);
      }
    }
  }
  return { files, packages };
}

describe("browser entry point", () => {
  it("reaches no Node-only module: no node:*, undici, connect-node, TLS or gRPC files", () => {
    const { files, packages } = graph("browser.ts");
    // json5 (parseJsonWithNonFinite) is plain JavaScript with no Node-only import.
    expect([...packages].sort()).toEqual(["@connectrpc/connect", "eventsource-parser", "json5"]);
    for (const file of files) {
      expect(file).not.toMatch(/^(tls-material|tls-fetch|node-http-client|grpc-)/);
    }
  });

  it("the Node entry does reach them (so the check above can fail)", () => {
    const { files, packages } = graph("index.ts");
    expect(packages).toContain("@connectrpc/connect-node");
    expect(packages).toContain("node:fs");
    expect(files).toContain("tls-fetch.ts");
  });

  it("exports the Node entry's API minus gRPC and TLS loading", () => {
    const nodeOnly = Object.keys(node).filter((name) => !(name in browser));
    expect(nodeOnly.sort()).toEqual([
      "abortOnExit",
      "createGrpcClient",
      "createGrpcTransport",
      "grpcTarget",
      "loadTlsMaterial",
    ]);
    expect(Object.keys(browser).filter((name) => !(name in node))).toEqual([]);
  });

  it("its createHttpClient refuses TLS options, which only Node.js can honour", () => {
    let error: unknown;
    try {
      browser.createHttpClient({ baseUrl: "https://model.example.com", tls: { insecure: true } });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ServingkitError);
    expect((error as ServingkitError).code).toBe(Code.InvalidArgument);
  });

  it("its createHttpClient works with an injected fetch", async () => {
    const client = browser.createHttpClient({
      baseUrl: "https://model.example.com",
      token: "t",
      fetch: async (_input, init) =>
        Response.json({ authorization: new Headers(init?.headers).get("authorization") }),
    });
    expect(await client.json("/v1/models")).toEqual({ authorization: "Bearer t" });
  });
});
