/**
 * The final Response of an execution is stored by its parts (execution/final-response.ts): the text must be
 * exactly what `serializeMessage` writes for the same Response, and read back to the same Response.
 */
import { describe, expect, test } from "vitest";
import { deserialize, serializeMessage } from "../src/serialize.js";
import { serializeResponseParts, wholeBody, wholeResponse } from "../src/execution/final-response.js";

const encode = (text: string) => new TextEncoder().encode(text);

const cases: [string, () => Response, Uint8Array | null][] = [
  ["Response.json", () => Response.json({ total: 45 }), encode('{"total":45}')],
  ["no body", () => new Response(null, { status: 204 }), null],
  ["status text, several headers and two cookies", () => {
    const headers = new Headers({ "X-B": "2", "x-a": "1", "content-type": "text/plain; charset=utf-8" });
    headers.append("set-cookie", "a=1");
    headers.append("set-cookie", "b=2");
    return new Response("é ☃", { status: 418, statusText: "I'm a teapot", headers });
  }, encode("é ☃")],
  ["binary bytes", () => new Response(new Uint8Array([0, 255, 1, 254])), new Uint8Array([0, 255, 1, 254])],
  ["empty body", () => new Response(""), new Uint8Array(0)],
];

describe("final Response by its parts", () => {
  test.each(cases)("%s: the same text as serializeMessage, and it reads back the same", async (_, make, bytes) => {
    const response = make();
    const text = serializeResponseParts(response.status, response.statusText, [...response.headers], bytes);
    expect(text).toBe(serializeMessage(make(), bytes));
    const back = deserialize<Response>(text);
    expect(back.status).toBe(response.status);
    expect(back.statusText).toBe(response.statusText);
    expect([...back.headers]).toEqual([...response.headers]);
    if (bytes !== null) expect(new Uint8Array(await back.arrayBuffer())).toEqual(bytes);
  });

  test("a whole Response's bytes are known until its body is read", async () => {
    const bytes = encode("hello");
    const response = wholeResponse(bytes, { status: 200, headers: [["content-type", "text/plain"]] });
    expect(wholeBody(response)).toBe(bytes);
    expect(wholeBody(new Response(bytes))).toBeUndefined();
    expect(await response.text()).toBe("hello");
    expect(wholeBody(response)).toBeUndefined();
  });

  // its body stream is made on first use (toNodeHandler writes the bytes): every other reader sees an ordinary Response
  test("a whole Response reads as an ordinary one: body, bodyUsed, each body method, clone", async () => {
    const bytes = encode('{"a":1}');
    const make = () => wholeResponse(bytes, { status: 201, statusText: "Made", headers: [["content-type", "application/json"]] });
    expect(make()).toBeInstanceOf(Response);
    const plain = make();
    expect([plain.status, plain.statusText, plain.ok, plain.type, plain.headers.get("content-type"), plain.bodyUsed]).toEqual([201, "Made", true, "default", "application/json", false]);
    expect(await make().json()).toEqual({ a: 1 });
    expect(new Uint8Array(await make().arrayBuffer())).toEqual(bytes);
    expect(await (await make().blob()).text()).toBe('{"a":1}');
    expect(await make().bytes()).toEqual(bytes);
    // the body stream: the same stream each time, read to the bytes; then used, and no longer whole
    const streamed = make();
    expect(streamed.body).toBe(streamed.body);
    const chunks: Uint8Array[] = [];
    for await (const chunk of streamed.body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(bytes));
    expect(streamed.bodyUsed).toBe(true);
    expect(wholeBody(streamed)).toBeUndefined();
    await expect(streamed.text()).rejects.toThrow(TypeError);
    expect(() => streamed.clone()).toThrow(TypeError);
    // a clone carries the headers as they are now (the protocol sets X-Durable-Run-Id after), and its own body
    const original = make();
    original.headers.set("x-durable-run-id", "r1");
    const copy = original.clone();
    expect(copy.headers.get("x-durable-run-id")).toBe("r1");
    expect(await copy.text()).toBe('{"a":1}');
    expect(await original.text()).toBe('{"a":1}');
    // a clone after the body stream was made, not read
    const touched = make();
    void touched.body;
    expect(await touched.clone().text()).toBe('{"a":1}');
    expect(await touched.text()).toBe('{"a":1}');
    // form data is parsed by the Response's own content type
    const form = wholeResponse(encode("x=1&y=2"), { headers: [["content-type", "application/x-www-form-urlencoded"]] });
    expect([...(await form.formData())]).toEqual([["x", "1"], ["y", "2"]]);
    // no bytes: an ordinary Response without a body
    expect(wholeResponse(null, { status: 204 }).body).toBeNull();
  });
});
