/**
 * `node --import @durable-endpoints/test/register --test`: compiles durable
 * endpoints as Node loads them, so tests under Node's own runner (or any
 * plain `node` run) get compiled machines, not replay. JavaScript modules
 * only: TypeScript needs a loader of its own first (or a build).
 */

import { register } from "node:module";

register("./hooks.js", import.meta.url);
