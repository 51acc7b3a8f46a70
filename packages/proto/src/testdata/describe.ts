/**
 * Test helpers that render generated descriptors as short, readable strings, so that a test can
 * pin a message's whole wire shape (every field's number, label and type) in one `toEqual`
 * against the reference documents.
 */
import {
  type DescEnum,
  type DescField,
  type DescFile,
  type DescMessage,
  type DescService,
  ScalarType,
} from "@bufbuild/protobuf";

/** The proto name of a scalar type, e.g. `ScalarType.INT64` -> "int64". */
function scalarName(type: ScalarType): string {
  return ScalarType[type].toLowerCase();
}

/** The type part of a field signature, without number and label. */
function typeName(field: DescField): string {
  switch (field.fieldKind) {
    case "scalar":
      return scalarName(field.scalar);
    case "enum":
      return field.enum.typeName;
    case "message":
      return field.message.typeName;
    case "list":
      if (field.listKind === "scalar") return `repeated ${scalarName(field.scalar)}`;
      if (field.listKind === "enum") return `repeated ${field.enum.typeName}`;
      return `repeated ${field.message.typeName}`;
    case "map": {
      const value =
        field.mapKind === "scalar"
          ? scalarName(field.scalar)
          : field.mapKind === "enum"
            ? field.enum.typeName
            : field.message.typeName;
      return `map<${scalarName(field.mapKey)}, ${value}>`;
    }
  }
}

/**
 * One field as "<number> [optional |oneof <name> ]<type>", e.g. "7 repeated bytes",
 * "4 map<string, inference.InferParameter>", "2 optional int64" (proto3 `optional`),
 * "4 oneof parameter_choice double".
 */
export function fieldSignature(field: DescField): string {
  const label = field.oneof
    ? `oneof ${field.oneof.name} `
    : field.proto.proto3Optional
      ? "optional "
      : "";
  return `${field.number} ${label}${typeName(field)}`;
}

/** Every field of a message, keyed by proto field name, in declaration order. */
export function fieldSignatures(message: DescMessage): Record<string, string> {
  return Object.fromEntries(message.fields.map((f) => [f.name, fieldSignature(f)]));
}

/**
 * Every method of a service keyed by its gRPC path ("/pkg.Service/Method"), valued
 * "<kind> <request type> -> <response type>" with kind unary, server_streaming,
 * client_streaming or bidi_streaming.
 */
export function methodSignatures(service: DescService): Record<string, string> {
  return Object.fromEntries(
    service.methods.map((m) => [
      `/${service.typeName}/${m.name}`,
      `${m.methodKind} ${m.input.typeName} -> ${m.output.typeName}`,
    ]),
  );
}

/** An enum's values as proto name -> number. */
export function enumValues(desc: DescEnum): Record<string, number> {
  return Object.fromEntries(desc.values.map((v) => [v.name, v.number]));
}

/** Every message and enum declared in a file, nested ones included (map entries excluded). */
export function declaredTypes(file: DescFile): (DescMessage | DescEnum)[] {
  const out: (DescMessage | DescEnum)[] = [...file.enums];
  const visit = (m: DescMessage): void => {
    out.push(m, ...m.nestedEnums);
    for (const n of m.nestedMessages) visit(n);
  };
  for (const m of file.messages) visit(m);
  return out;
}

/**
 * The runtime names protoc-gen-es exports for a file: its `file_...` descriptor, a `...Schema`
 * per message and enum, the enum objects and the services. Nested names join with "_".
 */
export function generatedExportNames(file: DescFile): string[] {
  const local = (typeName: string): string =>
    typeName.slice(file.proto.package.length + 1).replaceAll(".", "_");
  const names = [`file_${file.name.replaceAll("/", "_")}`];
  for (const desc of declaredTypes(file)) {
    names.push(`${local(desc.typeName)}Schema`);
    if (desc.kind === "enum") names.push(local(desc.typeName));
  }
  for (const s of file.services) names.push(s.name);
  return names;
}
