import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createRegistry } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { allFiles } from "./index.js";

/** The repository's proto/ folder, the one source of every generated file. */
const protoRoot = fileURLToPath(new URL("../../../proto/", import.meta.url));

/** Every .proto file under proto/, as import paths ("inference/grpc_service.proto"). */
function protoSources(): string[] {
  return readdirSync(protoRoot, { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(".proto"))
    .map((path) => path.replaceAll("\\", "/"))
    .sort();
}

describe("allFiles", () => {
  it("holds a descriptor for every .proto file under proto/, plus the well-known types they import", () => {
    const names = allFiles.map((f) => `${f.name}.proto`);
    const ours = names.filter((n) => !n.startsWith("google/protobuf/"));
    expect(ours.sort()).toEqual(protoSources());
    expect(names.filter((n) => n.startsWith("google/protobuf/"))).toEqual([
      "google/protobuf/struct.proto",
    ]);
    expect(new Set(names).size).toBe(names.length);
  });

  it("lists every import before the file that imports it, so a reflection server can walk it", () => {
    const seen = new Set<string>();
    for (const file of allFiles) {
      for (const dependency of file.dependencies) {
        expect(seen, `${file.name} imports ${dependency.name}`).toContain(dependency.name);
      }
      seen.add(file.name);
    }
  });

  it("forms one registry in which every service of the runtimes resolves", () => {
    const registry = createRegistry(...allFiles);
    for (const service of [
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "inference.GRPCInferenceService",
      "fmaas.GenerationService",
      "caikit.runtime.Nlp.NlpService",
      "caikit.runtime.info.InfoService",
    ]) {
      expect(registry.getService(service)?.typeName).toBe(service);
    }
  });
});

describe("the .proto sources", () => {
  it("pass buf lint with the checks of proto/buf.yaml", () => {
    const buf = fileURLToPath(new URL("../node_modules/.bin/buf", import.meta.url));
    const result = spawnSync(buf, ["lint", protoRoot], { encoding: "utf8" });
    expect(result.error).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`).toBe("");
    expect(result.status).toBe(0);
  });
});
