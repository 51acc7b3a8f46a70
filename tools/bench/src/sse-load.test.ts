import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startRuntimeMock } from "@servingkit/mocks";
import { describe, expect, it } from "vitest";
import { LatencyRecorder } from "./measurement.js";
import { startRuntimeServer } from "./runtime-servers.js";
import { createSseDriver, SseResponseScanner } from "./sse-load.js";

/** A chunked HTTP/1.1 answer with one HTTP chunk per piece, as node:http frames each write. */
function chunked(pieces: readonly string[], head = "HTTP/1.1 200 OK"): Buffer {
  const body = pieces.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join("");
  return Buffer.from(
    `${head}\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n${body}0\r\n\r\n`,
  );
}

/** Feeds `bytes` in pieces of `size` bytes; returns the events each push reported, summed. */
function feed(scanner: SseResponseScanner, bytes: Buffer, size: number): number {
  let reported = 0;
  for (let at = 0; at < bytes.length; at += size) {
    reported += scanner.push(bytes.subarray(at, at + size));
  }
  return reported;
}

const stream = chunked([
  'data: {"text":"a"}\n\n',
  'data: {"text":"b"}\n\ndata: {"text":"c"}\n\n',
  "data: [DONE]\n\n",
]);

describe("SseResponseScanner", () => {
  // The chunked coding is RFC 9112 §7.1; the event framing (a blank line ends an event, LF or
  // CRLF line ends) is the WHATWG HTML "server-sent events" parsing rules.
  it("counts the events of a chunked stream however the bytes are split", () => {
    for (const size of [stream.length, 1, 2, 3, 7, 13]) {
      const scanner = new SseResponseScanner();
      expect(feed(scanner, stream, size)).toBe(3);
      expect(scanner).toMatchObject({ status: 200, events: 3, doneEvents: 1, failure: undefined });
      expect(scanner.whole).toBe(true);
    }
  });

  it("finds event ends that straddle two HTTP chunks, and CRLF line ends", () => {
    const scanner = new SseResponseScanner();
    const bytes = chunked(["data: 1\r\n", "\r\ndata: 2\n", "\n", "data: [DONE]\r\n\r\n"]);
    expect(feed(scanner, bytes, 5)).toBe(2);
    expect(scanner.doneEvents).toBe(1);
    expect(scanner.whole).toBe(true);
  });

  it("says whether the connection can carry the next request", () => {
    const keep = new SseResponseScanner();
    keep.push(stream);
    expect(keep).toMatchObject({ ended: true, reusable: true });
    // RFC 9112 §9.6: "close" ends the connection after this response.
    const close = new SseResponseScanner();
    close.push(chunked(["data: [DONE]\n\n"], "HTTP/1.1 200 OK\r\nConnection: close"));
    expect(close).toMatchObject({ ended: true, reusable: false });
    expect(close.whole).toBe(true);
  });

  it("counts a non-200 answer as a failure and reads no further", () => {
    const scanner = new SseResponseScanner();
    const bytes = chunked(['{"error":"no"}'], "HTTP/1.1 404 Not Found");
    expect(feed(scanner, bytes, 4)).toBe(0);
    expect(scanner).toMatchObject({ status: 404, failure: "status 404", events: 0 });
    expect(scanner.whole).toBe(false);
  });

  it("is not whole before the zero-size chunk, nor without [DONE]", () => {
    const cut = new SseResponseScanner();
    cut.push(stream.subarray(0, stream.length - 5));
    expect(cut.doneEvents).toBe(1);
    expect(cut.whole).toBe(false);
    const noDone = new SseResponseScanner();
    noDone.push(chunked(["data: 1\n\n"]));
    expect(noDone.whole).toBe(false);
  });

  it("tells [DONE] from an event that only starts like it", () => {
    const scanner = new SseResponseScanner();
    scanner.push(chunked(["data: [DONE]x\n\n", "data: [DON\n\n", "data: [DONE]\n\n"]));
    expect(scanner).toMatchObject({ events: 2, doneEvents: 1 });
  });

  it("ignores blank lines between events and chunk extensions", () => {
    const scanner = new SseResponseScanner();
    const bytes = Buffer.from(
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" +
        "9;name=value\r\n\n\ndata: 1\r\n3\r\n\n\n\n\r\n0\r\n\r\n",
    );
    expect(scanner.push(bytes)).toBe(1);
    expect(scanner.failure).toBeUndefined();
  });

  it("reads a body without chunked coding to its end", () => {
    const scanner = new SseResponseScanner();
    const bytes = Buffer.from("HTTP/1.0 200 OK\r\n\r\ndata: 1\n\ndata: [DONE]\n\n");
    expect(feed(scanner, bytes, 3)).toBe(1);
    expect(scanner.whole).toBe(true);
  });

  it("fails on chunk framing it cannot follow, keeping the events before it", () => {
    const badSize = new SseResponseScanner();
    badSize.push(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
    expect(badSize.failure).toBe("bad chunk size");
    const badEnd = new SseResponseScanner();
    const reported = badEnd.push(
      Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\ndata: 1\n\nXX"),
    );
    expect(reported).toBe(1);
    expect(badEnd.failure).toBe("bad chunk end");
    const noStatus = new SseResponseScanner();
    noStatus.push(Buffer.from("SSH-2.0-OpenSSH\r\n\r\n"));
    expect(noStatus.failure).toBe("no HTTP/1.x status line");
  });
});

// A check of the streams scenario's parts, not a benchmark: the servers pace their events and the
// driver measures the gaps between them; bounds are generous.
describe("createSseDriver", () => {
  it("counts events (not [DONE]) of the ticker baseline and records the gaps between them", async () => {
    const events = ["data: 1\n\n", "data: 2\n\n", "data: 3\n\n", "data: 4\n\n"];
    const server = await startRuntimeServer({
      kind: "ticker-sse",
      path: "/v1/completions",
      events,
      intervalMs: 10,
    });
    const driver = createSseDriver({
      url: `${server.address}/v1/completions`,
      body: "{}",
      streams: 3,
      rampMs: 0,
    });
    const recorder = new LatencyRecorder();
    try {
      const counters = await driver.run(0, recorder);
      expect(counters.errors).toBe(0);
      expect(counters.ok).toBe(3 * events.length);
      expect(recorder.count).toBe(3 * (events.length - 1));
      expect(recorder.percentile(50)).toBeGreaterThan(5);
      expect(recorder.percentile(50)).toBeLessThan(200);
    } finally {
      recorder.destroy();
      await driver.close();
      await server.close();
    }
  });

  it("counts only the measured window, after the ramp and before the tail", async () => {
    const events = Array.from({ length: 20 }, (_, i) => `data: ${i}\n\n`);
    const server = await startRuntimeServer({
      kind: "ticker-sse",
      path: "/v1/completions",
      events,
      intervalMs: 10,
    });
    const driver = createSseDriver({
      url: `${server.address}/v1/completions`,
      body: "{}",
      streams: 3,
      rampMs: 100,
    });
    const recorder = new LatencyRecorder();
    const edges: [string, number][] = [];
    try {
      const started = performance.now();
      const counters = await driver.run(0.1, recorder, {
        open: () => edges.push(["open", performance.now() - started]),
        close: () => edges.push(["close", performance.now() - started]),
      });
      // The window's edges come on time (timers: never early), once each, open first, so CPU
      // sampled at them belongs to the counted events.
      expect(edges.map(([edge]) => edge)).toEqual(["open", "close"]);
      expect(edges[0]?.[1]).toBeGreaterThanOrEqual(99);
      expect(edges[1]?.[1]).toBeGreaterThanOrEqual(199);
      // The ramp (100 ms), the window (100 ms) and the tail (a stream lasts 190 ms) all ran...
      expect(performance.now() - started).toBeGreaterThanOrEqual(200);
      // ...but only the window counts: 3 streams of one event per 10 ms make about 300 a second
      // (timers late on a busy machine bunch a few more into the window); all 60 events counted
      // over the 0.1 s would make 600, so the bound sits between the two.
      expect(counters).toMatchObject({ errors: 0, seconds: 0.1 });
      expect(counters.ok / counters.seconds).toBeLessThanOrEqual(450);
      expect(counters.ok).toBeGreaterThan(0);
      expect(recorder.count).toBeLessThanOrEqual(counters.ok);
    } finally {
      recorder.destroy();
      await driver.close();
      await server.close();
    }
  });

  it("counts the vLLM mock's stream events as fetch sees them", async () => {
    const mock = await startRuntimeMock({
      runtime: "vllm",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      logger: false,
      // 0.7.3: one event per token however late the reader (vLLM V0); from 0.8.0 the tokens a
      // late reader finds waiting come as one event (V1's RequestOutputCollector), so two reads
      // on a busy machine could count different events.
      values: { "inter-token-latency": "5", "vllm-version": "0.7.3" },
    });
    const url = `${mock.endpoints.http}/v1/completions`;
    const headers = { "content-type": "application/json" };
    const body = JSON.stringify({
      model: "servingkit-mock",
      prompt: "Say this is a test",
      max_tokens: 6,
      temperature: 0,
      stream: true,
    });
    const driver = createSseDriver({ url, headers, body, streams: 2, rampMs: 0 });
    // vllm-openai.md: --inter-token-latency paces the stream's tokens.
    const recorder = new LatencyRecorder();
    try {
      const text = await (await fetch(url, { method: "POST", headers, body })).text();
      const perStream = text.split("\n\n").filter((e) => e.startsWith("data: {")).length;
      expect(perStream).toBeGreaterThanOrEqual(6);
      const counters = await driver.run(0, recorder);
      expect(counters).toMatchObject({ ok: 2 * perStream, errors: 0 });
      expect(recorder.count).toBe(2 * (perStream - 1));
      // The mock paces tokens --inter-token-latency (5 ms) apart on a fixed schedule; a busy loop
      // (client and server share it here) may deliver some together, so only the widest gap is
      // checked.
      expect(recorder.percentile(100)).toBeGreaterThan(2);
    } finally {
      recorder.destroy();
      await driver.close();
      await mock.close();
    }
  });

  it("runs a slot's streams one after another on one keep-alive connection", async () => {
    let connections = 0;
    let requests = 0;
    const server = createServer((request, response) => {
      requests += 1;
      request.resume();
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: 1\n\n");
      response.write("data: 2\n\n");
      response.end("data: [DONE]\n\n");
    });
    server.on("connection", () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const driver = createSseDriver({
      url: `http://127.0.0.1:${port}/`,
      body: "{}",
      streams: 1,
      rampMs: 0,
    });
    try {
      // A window of 0.5 s: a loaded machine once served the slot's first stream for all of a
      // 50 ms window, leaving no second request to show the connection is kept.
      const counters = await driver.run(0.5);
      expect(requests).toBeGreaterThan(1);
      expect(counters.errors).toBe(0);
      expect(counters.ok).toBeGreaterThan(0);
      expect(counters.ok).toBeLessThanOrEqual(2 * requests);
      expect(connections).toBe(1);
    } finally {
      await driver.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("counts a non-200 answer as an error", async () => {
    const server = await startRuntimeServer({
      kind: "ticker-sse",
      path: "/v1/completions",
      events: ["data: 1\n\n"],
      intervalMs: 10,
    });
    const driver = createSseDriver({ url: `${server.address}/elsewhere`, body: "{}", streams: 1 });
    try {
      const counters = await driver.run(0);
      expect(counters).toMatchObject({ ok: 0, errors: 1 });
    } finally {
      await driver.close();
      await server.close();
    }
  });

  it("counts a stream cut before [DONE], and a refused connection, as errors", async () => {
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: 1\n\n");
      setTimeout(() => response.socket?.destroy(), 5);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const cut = createSseDriver({ url: `http://127.0.0.1:${port}/`, body: "{}", streams: 1 });
    try {
      expect(await cut.run(0)).toMatchObject({ ok: 1, errors: 1 });
    } finally {
      await cut.close();
      await new Promise((resolve) => server.close(resolve));
    }
    // The port is closed now: the connection is refused.
    const refused = createSseDriver({ url: `http://127.0.0.1:${port}/`, body: "{}", streams: 1 });
    expect(await refused.run(0)).toMatchObject({ ok: 0, errors: 1 });
  });

  it("refuses a URL that is not http: and a header with a line break", () => {
    expect(() => createSseDriver({ url: "https://x/", body: "", streams: 1 })).toThrow(/not http/);
    expect(() =>
      createSseDriver({ url: "http://x/", body: "", streams: 1, headers: { a: "b\r\nc: d" } }),
    ).toThrow(/CR, LF/);
  });
});
