import { describe, expect, test } from "vitest";
import { openStore, parseStoreUrl } from "@durable-endpoints/runtime";

describe("openStore (DURABLE_STORE_URL)", () => {
  test.each([
    ["memory:", "memory"],
    ["sqlite:///tmp/durable-open-test.db", "sqlite"],
    ["sqlite:relative/durable.db", "sqlite"],
    ["postgres://postgres@127.0.0.1:5432/postgres", "postgres"],
    ["postgresql://postgres@127.0.0.1:5432/postgres", "postgres"],
    [undefined, "sqlite"],
  ])("%s → %s store (opened lazily: no I/O here)", async (url, kind) => {
    const store = await openStore(url, "my app");
    expect(store.kind).toBe(kind);
  });

  test("an unsupported URL is a clear error", async () => {
    await expect(openStore("mysql://x", "app")).rejects.toThrow(/DURABLE_STORE_URL "mysql:\/\/x" is not supported/);
    await expect(openStore("sqlite:", "app")).rejects.toThrow(/names no SQLite file/);
  });

  test.each([
    ["sqlite:///abs/x.db", "/abs/x.db"],
    ["sqlite://rel/x.db", "rel/x.db"],
    ["sqlite:rel/x.db", "rel/x.db"],
    ["sqlite:///dir%20with%20space/x.db", "/dir with space/x.db"],
  ])("parseStoreUrl(%s) names the SQLite file %s (the runtime and the CLI read it alike)", (url, path) => {
    expect(parseStoreUrl(url)).toEqual({ kind: "sqlite", path });
  });
});
