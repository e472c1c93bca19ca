/** The seed's example, crashed after every step (this is the test packages/test/README.md shows). */

import { describe, expect, it, vi } from "vitest";
import { testEndpoint } from "@durable-endpoints/test";
import { db, handler } from "./fixtures/seed.js";

describe("the seed's endpoint", () => {
  for (const step of ["fetch-user", "rate-limit-pause", "wait-for-approval"]) {
    it(`answers the same when the process crashes right after "${step}"`, async () => {
      const findOne = vi.spyOn(db.users, "findOne");
      const t = testEndpoint(handler);
      t.crashAfter(step, { resume: true }); // a new process takes over at once

      const first = await t.request("/api/approve?userId=u1&requestId=r1");
      expect(first.status).toBe(303); // it sleeps: the client gets the poll URL
      await t.advance("30s");
      await t.send({ name: "approval/received", data: { requestId: "r1" } });

      const res = await t.result();
      expect(await res.json()).toEqual({ user: { id: "u1", name: "Ann" }, approved: true });
      expect(t.process).toBe(2); // it did crash and resume
      expect(findOne).toHaveBeenCalledTimes(1); // the completed step never ran again
      expect(t.checkNoReplay().resumes).toBeGreaterThan(0);
      findOne.mockRestore();
    });
  }
});
