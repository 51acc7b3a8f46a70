import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HttpConnection } from "./http-call.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A node:http server echoing each body back reversed, with a counter of connections. */
async function echo(): Promise<{ url: string; connections: () => number; server: Server }> {
  let connections = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.url === "/chunked") {
        response.writeHead(200, { "content-type": "text/plain" });
        response.end("no length");
        return;
      }
      if (request.url === "/close") {
        response.writeHead(200, { "content-length": "2", connection: "close" });
        response.end("ok");
        return;
      }
      if (request.url === "/silent") return;
      const body = Buffer.concat(chunks).reverse();
      response.writeHead(201, {
        "content-type": "application/octet-stream",
        "x-a": "1",
        "content-length": String(body.length),
      });
      response.end(body);
    });
  });
  server.on("connection", () => {
    connections += 1;
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, connections: () => connections, server };
}

describe("HttpConnection", () => {
  it("sends a large body and reads the whole answer, status and headers, on one kept-alive connection", async () => {
    const { url, connections } = await echo();
    const connection = new HttpConnection(url);
    const body = Buffer.alloc(9 * 1024 * 1024 + 3);
    for (let i = 0; i < body.length; i += 4096) body[i] = i % 251;
    for (let round = 0; round < 3; round++) {
      const answer = await connection.call({ url: `${url}/echo`, body });
      expect(answer.status).toBe(201);
      expect(answer.headers["content-type"]).toBe("application/octet-stream");
      expect(answer.headers["x-a"]).toBe("1");
      expect(answer.body.equals(Buffer.from(body).reverse())).toBe(true);
    }
    expect(connections()).toBe(1);
    connection.close();
  });

  it("reuseBody: every answer is read into the same memory, valid until the next call", async () => {
    const { url } = await echo();
    const connection = new HttpConnection(url, { reuseBody: true });
    const first = await connection.call({ url: `${url}/echo`, body: "abcdef" });
    expect(first.body.toString()).toBe("fedcba");
    const second = await connection.call({ url: `${url}/echo`, body: "xyz" });
    expect(second.body.toString()).toBe("zyx");
    expect(second.body.buffer).toBe(first.body.buffer);
    expect(first.body.toString()).toBe("zyxcba");
    connection.close();
  });

  it("an answer without content-length is an error; a closed connection is opened again", async () => {
    const { url, connections } = await echo();
    const connection = new HttpConnection(url);
    await expect(connection.call({ url: `${url}/chunked`, body: "x" })).rejects.toThrow(
      /without a content-length/,
    );
    const closed = await connection.call({ url: `${url}/close`, body: "x" });
    expect(closed.body.toString()).toBe("ok");
    const again = await connection.call({ url: `${url}/echo`, body: "abc" });
    expect(again.body.toString()).toBe("cba");
    expect(connections()).toBe(3);
    connection.close();
  });

  it("gives up after the call's timeout instead of hanging", async () => {
    const { url } = await echo();
    const connection = new HttpConnection(url);
    await expect(
      connection.call({ url: `${url}/silent`, body: "x", timeoutMs: 50 }),
    ).rejects.toThrow(/in time/);
    connection.close();
  });
});
