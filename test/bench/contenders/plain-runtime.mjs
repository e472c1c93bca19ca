/**
 * "Plain code without durability": stands in for @durable-endpoints/runtime when
 * a fixture is loaded as the plain contender. Same handler source, but a step is
 * a direct call and `inngest.endpoint(handler)` is the handler itself.
 */
export const step = {
  run: async (_id, fn) => fn(),
  sleep: async () => {},
  sleepUntil: async () => {},
  waitForEvent: async () => null,
};

export class Inngest {
  endpoint(handler) {
    return handler;
  }

  async close() {}
}

export const endpointAdapter = {};
