import { memoryStore } from "../../src/stores/memory.js";
import { describeStoreConformance } from "./conformance.js";

// Each test gets its own store; a memory store cannot be shared between instances.
describeStoreConformance("memory", () => {
  const store = memoryStore();
  return () => store;
});
