/**
 * TLS material for `--tls`: the platform serves every endpoint over HTTPS on :443
 * (kserve-v2.md §5), so the mocks can too, with a self-signed certificate made at start or with
 * the user's own files.
 */
import { readFile } from "node:fs/promises";

/** A certificate and its private key, both PEM. */
export interface TlsMaterial {
  /** The certificate, PEM; trust it in clients (`ca: certificatePem`). */
  readonly cert: string;
  /** The private key, PEM. */
  readonly key: string;
}

/**
 * Makes a self-signed certificate for `localhost`, `127.0.0.1` and `::1` (EC P-256, SHA-256,
 * valid from an hour ago for 30 days), so `curl -k`, `grpcurl -insecure` and clients that trust
 * the PEM all work. `selfsigned` (with its ASN.1 libraries, about 4 MB of heap and 0.2 s of
 * import) loads only here, so a mock served without `--tls` never carries it.
 */
export async function selfSignedCertificate(): Promise<TlsMaterial> {
  const { generate } = await import("selfsigned");
  const notBeforeDate = new Date(Date.now() - 3_600_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 30 * 86_400_000);
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

function isPem(text: string): boolean {
  return text.includes("-----BEGIN ");
}

/**
 * Resolves the `tls` option: `true` → a fresh self-signed certificate; `{ cert, key }` → those
 * (each a PEM text or a path to a PEM file); false/undefined → no TLS.
 */
export async function resolveTls(
  option: boolean | { readonly cert: string; readonly key: string } | undefined,
): Promise<TlsMaterial | undefined> {
  if (!option) return undefined;
  if (option === true) return selfSignedCertificate();
  const load = async (value: string) => (isPem(value) ? value : readFile(value, "utf8"));
  const [cert, key] = await Promise.all([load(option.cert), load(option.key)]);
  if (!isPem(cert)) throw new Error(`TLS certificate is not PEM: ${option.cert}`);
  if (!isPem(key)) throw new Error(`TLS key is not PEM: ${option.key}`);
  return { cert, key };
}
