/**
 * Test certificates made on the fly with `selfsigned`: a self-signed server certificate valid for
 * 127.0.0.1, ::1 and localhost, and a client certificate signed by the server's key (for mutual
 * TLS). Also written to a temporary folder for the `*File` options.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";

/** PEM material and the paths it was written to. */
export interface TestCerts {
  readonly cert: string;
  readonly key: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

let pending: Promise<TestCerts> | undefined;

async function make(): Promise<TestCerts> {
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true, clientAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
    clientCertificate: { cn: "servingkit-test-client", keyType: "ec" },
  });
  if (pems.clientcert === undefined || pems.clientprivate === undefined) {
    throw new Error("selfsigned made no client certificate");
  }
  const dir = mkdtempSync(join(tmpdir(), "servingkit-certs-"));
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  return {
    cert: pems.cert,
    key: pems.private,
    clientCert: pems.clientcert,
    clientKey: pems.clientprivate,
    certFile: write("server.crt", pems.cert),
    keyFile: write("server.key", pems.private),
    clientCertFile: write("client.crt", pems.clientcert),
    clientKeyFile: write("client.key", pems.clientprivate),
  };
}

/** The process's test certificates, made once. */
export function testCerts(): Promise<TestCerts> {
  pending ??= make();
  return pending;
}
