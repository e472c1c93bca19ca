import { afterEach, describe, expect, test } from "vitest";
import { NonRetriableError, RetryAfterError, StepError, step } from "@durable-endpoints/runtime";
import { closeClients, follow, req, testClient } from "./helpers.js";
import { pricesMachine } from "./machines.js";

afterEach(closeClients);

describe("retries", () => {
  test("a failing step is retried at its RetryAfterError time, then succeeds, its record keeping the failed attempts", async () => {
    const { inngest, store } = testClient();
    let attempts = 0;
    const handler = inngest.endpoint(async () => {
      const v = await step.run("flaky", () => {
        attempts++;
        if (attempts < 3) throw new RetryAfterError("not yet", 10);
        return "ok";
      });
      return Response.json({ v, attempts });
    });
    const first = await handler(req("/api/flaky"));
    expect(first.status).toBe(303);
    const final = await follow(handler, first);
    expect(await final.json()).toEqual({ v: "ok", attempts: 3 });
    const runId = first.headers.get("x-durable-run-id")!;
    expect(await store.getStep(runId, "flaky")).toMatchObject({ status: "completed", attempts: 2 });
  });

  test("RetryAfterError is honoured exactly: number = ms, string = duration, Date = time", async () => {
    const { inngest, store } = testClient();
    const at = new Date(Date.now() + 60_000);
    const cases: [string, RetryAfterError, (failedAt: number) => number][] = [
      ["ms", new RetryAfterError("x", 1234), (t) => t + 1234],
      ["duration", new RetryAfterError("x", "1m30s"), (t) => t + 90_000],
      ["date", new RetryAfterError("x", at), () => at.getTime()],
    ];
    for (const [name, error, expected] of cases) {
      const handler = inngest.endpoint(async () => {
        await step.run("s", () => {
          throw error;
        });
        return new Response("never");
      });
      const before = Date.now();
      const res = await handler(req(`/api/retry-${name}`));
      const after = Date.now();
      const runId = res.headers.get("x-durable-run-id")!;
      const saved = await store.getStep(runId, "s");
      expect(saved).toMatchObject({ status: "retrying", attempts: 1 });
      expect(saved!.wakeAt).toBeGreaterThanOrEqual(expected(before));
      expect(saved!.wakeAt).toBeLessThanOrEqual(expected(after));
    }
  });

  test("default backoff is exponential with jitter", async () => {
    const { inngest, store } = testClient({ backoff: { initial: 1000, max: "1h" } });
    const handler = inngest.endpoint(async () => {
      await step.run("s", () => {
        throw new Error("down");
      });
      return new Response("never");
    });
    const before = Date.now();
    const res = await handler(req("/api/backoff"));
    const after = Date.now();
    const saved = await store.getStep(res.headers.get("x-durable-run-id")!, "s");
    // first retry: 1000 ms × a jitter in [0.5, 1], counted from the failure (between before and after)
    expect(saved!.wakeAt!).toBeGreaterThanOrEqual(before + 500);
    expect(saved!.wakeAt!).toBeLessThanOrEqual(after + 1000);
  });

  test("NonRetriableError fails at once; the handler catches a StepError with the original as cause", async () => {
    const { inngest } = testClient();
    let attempts = 0;
    const handler = inngest.endpoint(async () => {
      try {
        await step.run("charge", () => {
          attempts++;
          throw new NonRetriableError("card declined");
        });
        return new Response("charged");
      } catch (error) {
        const e = error as StepError;
        return Response.json({
          isStepError: e instanceof StepError,
          name: e.name,
          message: e.message,
          cause: { name: (e.cause as Error).name, message: (e.cause as Error).message },
        });
      }
    });
    const res = await handler(req("/api/charge"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      isStepError: true,
      name: "StepError",
      message: "card declined",
      cause: { name: "NonRetriableError", message: "card declined" },
    });
    expect(attempts).toBe(1);
  });

  test("a step throwing an Error subclass: retried, then the handler catches a StepError whose cause has its name, message and cause", async () => {
    class PaymentError extends Error {
      override name = "PaymentError";
      code = "card_declined";
    }
    class Fatal extends NonRetriableError {}
    const { inngest } = testClient({ retries: 1, backoff: { initial: 5, max: 5 } });
    let attempts = 0;
    const handler = inngest.endpoint(async () => {
      const seen = [];
      for (const [id, make] of [["charge", () => new PaymentError("declined", { cause: new TypeError("expired card") })], ["refund", () => new Fatal("no refund")]] as const) {
        try {
          await step.run(id, () => {
            attempts++;
            throw make();
          });
        } catch (error) {
          const e = error as StepError;
          const cause = e.cause as Error;
          seen.push({
            stepError: e instanceof StepError, stepId: e.stepId, message: e.message, cause: [cause.constructor.name, cause.name, cause.message, (cause as { code?: string }).code],
            causeCause: cause.cause instanceof TypeError ? (cause.cause as Error).message : null,
          });
        }
      }
      return Response.json(seen);
    });
    const final = await follow(handler, await handler(req("/api/pay")));
    expect(await final.json()).toEqual([
      // a class of the user's comes back an Error with its name: the documented form of a failure (other own properties dropped)
      { stepError: true, stepId: "charge", message: "declined", cause: ["Error", "PaymentError", "declined", null], causeCause: "expired card" },
      // a NonRetriableError subclass fails at once and comes back a NonRetriableError
      { stepError: true, stepId: "refund", message: "no refund", cause: ["NonRetriableError", "NonRetriableError", "no refund", null], causeCause: null },
    ]);
    expect(attempts).toBe(3);
  });

  test("retries exhausted and uncaught: 500 JSON error without a stack, after retries + 1 attempts", async () => {
    const { inngest } = testClient({ retries: 2, backoff: { initial: 5, max: 5 } });
    let attempts = 0;
    const handler = inngest.endpoint(async () => {
      await step.run("boom", () => {
        attempts++;
        throw new TypeError("kaput");
      });
      return new Response("never");
    });
    const first = await handler(req("/api/boom"));
    const final = await follow(handler, first);
    expect(final.status).toBe(500);
    expect(await final.json()).toEqual({ error: { name: "StepError", message: "kaput" } });
    expect(attempts).toBe(3);
    // the stored failure is replayed exactly to a later poll
    const again = await handler(req(first.headers.get("location")!));
    expect(again.status).toBe(500);
    expect(await again.json()).toEqual({ error: { name: "StepError", message: "kaput" } });
  });

  test("compiled: a retry resumes at the failing step; earlier steps and code do not run again", async () => {
    const probe = { entries: 0, priced: [] as string[] };
    let failed = false;
    const { inngest } = testClient({ backoff: { initial: 5, max: 5 } });
    const handler = inngest.endpoint(
      pricesMachine(probe, {
        beforePrice: (id) => {
          if (id === "2" && !failed) {
            failed = true;
            throw new Error("transient");
          }
        },
      }),
    );
    const final = await follow(handler, await handler(req("/api/prices?id=1&id=2&id=3")));
    expect(await final.json()).toEqual({ total: 60 });
    expect(failed).toBe(true);
    expect(probe).toEqual({ entries: 1, priced: ["1", "2", "3"] });
  });

  test("Promise.all: a member failing for good rejects it even while another waits for its retry", async () => {
    const { inngest } = testClient();
    const ran: string[] = [];
    const handler = inngest.endpoint(async () => {
      try {
        await Promise.all([
          step.run("a", () => {
            ran.push("a");
            throw new RetryAfterError("a down", 1);
          }),
          step.run("b", () => {
            ran.push("b");
            throw new NonRetriableError("b invalid");
          }),
        ]);
        return new Response("unreachable");
      } catch (error) {
        return Response.json({ failed: (error as StepError).message }, { status: 502 });
      }
    });
    const res = await handler(req("/api/all"));
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ failed: "b invalid" });
    expect(ran).toEqual(["a", "b"]); // the run finished: a's retry is dropped
  });

  test("a handler that throws outside a step answers 500 with a JSON error", async () => {
    const { inngest } = testClient();
    const res = await inngest.endpoint(async () => {
      throw new RangeError("bad input");
    })(req("/api/throws"));
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { name: "RangeError", message: "bad input" } });
  });
});
