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
});
