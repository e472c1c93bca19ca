/**
 * The test262 differential runner: each selected test becomes a handler body, compiled by the
 * transform and compared with the same body run plain. Every run is a fresh V8 realm (node:vm),
 * a simulated process: a crash abandons the realm, the resume starts a new one from the record.
 *
 * Variants: "written" (the body as it is), "steps" (a checkpointing `step.run` between top-level
 * statements) and "resume" (the steps variant killed after each checkpoint k and resumed in a new
 * realm from the saved record). Per test and variant the result is one of
 *   pass · wrong (a different outcome or printed lines) · internal (transform crash, DE1099, output
 *   that does not load, a "durable machine" error) · rejected (a documented compile error, e.g.
 *   direct eval) · allowed (resume only: a value that cannot be saved fails the checkpoint, or a
 *   difference the compiler warned about — see WARNED_DIFFERENCES; `$DONE` lost with the killed process's
 *   pending callbacks, as DE1017 warned) · skip (the plain body does not load or run
 *   in this V8).
 */
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { gunzipSync } from "node:zlib";
import { parse } from "@babel/parser";
import { buildSync } from "esbuild";
// T262_TRANSFORM: another build of the transform (e.g. an older commit's, for before/after figures)
const { transform } = await import(process.env.T262_TRANSFORM ?? "@durable-endpoints/transform");

export const VARIANTS = ["written", "steps", "resume"];
const TIMEOUT_MS = 2000;

export function loadBundle() {
  return JSON.parse(gunzipSync(readFileSync(new URL("./tests.json.gz", import.meta.url))).toString());
}

let shared = null;
/** Scripts every realm runs first: the runtime's serializer, the realm driver, the harness. */
function sharedScripts(bundle) {
  if (shared) return shared;
  const serializer = buildSync({
    entryPoints: [new URL("../../packages/runtime/src/serialize.ts", import.meta.url).pathname],
    bundle: true,
    format: "iife",
    globalName: "__serializer",
    write: false,
    platform: "neutral",
  }).outputFiles[0].text;
  const harness = Object.fromEntries(Object.entries(bundle.harness).map(([file, text]) => [file, new vm.Script(text, { filename: `harness/${file}` })]));
  shared = {
    serializer: new vm.Script(serializer, { filename: "serialize.js" }),
    realm: new vm.Script(readFileSync(new URL("./realm.js", import.meta.url), "utf8"), { filename: "realm.js" }),
    harness,
  };
  return shared;
}

/**
 * The diagnostics that document a difference a resume makes: a class created again (DE1013), a function or class
 * of the handler changed after it is created (DE1014), global state changed before an await (DE1016). A `resume`
 * difference is `allowed` only when the compile reported one of them for that test; `written` and `steps` must
 * still pass exactly, and a difference without the warning stays `wrong`.
 */
export const WARNED_DIFFERENCES = new Set(["DE1013", "DE1014", "DE1016"]);

const STEP_IMPORT = `import { step as __t262step } from "inngest";`;
const moduleOf = (body) => `${STEP_IMPORT}\nexport const handler = inngest.endpoint(async (req) => {\n${body}\n});\n`;

/** At most this many checkpoints per test: a few tests have hundreds of statements, and the resume
 * variant resumes once per checkpoint. More statements: evenly spaced boundaries. */
const MAX_CHECKPOINTS = 16;

/** The body with `await step.run("cpN", …)` between its top-level statements. */
export function withCheckpoints(code) {
  let statements;
  try {
    statements = parse(code, { sourceType: "script", allowAwaitOutsideFunction: true, allowReturnOutsideFunction: true }).program.body;
  } catch {
    return code;
  }
  const boundaries = statements.slice(0, -1);
  const every = Math.ceil(boundaries.length / MAX_CHECKPOINTS);
  let out = "";
  let at = 0;
  boundaries
    .filter((_, i) => (i + 1) % every === 0)
    .forEach((statement, i) => {
      out += code.slice(at, statement.end) + `\n;await __t262step.run("cp${i + 1}", () => {});\n`;
      at = statement.end;
    });
  return out + code.slice(at);
}

/** Evaluable text of a module: the step import and `export` removed, in strict mode. */
const evaluable = (module) =>
  new vm.Script(`"use strict";\n${module.replace(STEP_IMPORT, "").replace(/^export const handler =/m, "globalThis.__handler =")}`, { filename: "handler.js" });

function compile(module) {
  let result;
  try {
    result = transform(module, { filename: "/app/src/t262.js", root: "/app", sourceMaps: false });
  } catch (error) {
    return { internal: `transform threw: ${error.message}` };
  }
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.some((d) => d.code === "DE1099")) return { internal: errors.map((d) => d.message).join("; ") };
  if (errors.length) return { rejected: errors.map((d) => `${d.code} ${d.message}`).join("; ") };
  const warned = [...new Set(result.diagnostics.filter((d) => WARNED_DIFFERENCES.has(d.code)).map((d) => d.code))];
  // DE1017: a promise's callbacks left pending before an await, which a resumed run never runs
  const lostJobs = result.diagnostics.some((d) => d.code === "DE1017");
  try {
    return { script: evaluable(result.code), code: result.code, warned, lostJobs };
  } catch (error) {
    return { internal: `output does not load: ${error.message}`, code: result.code };
  }
}

/** One simulated process: a fresh realm running the handler (plain or machine) against `record`. */
async function simulateProcess(scripts, test, handler, { compiled, record, save = false, onCheckpoint = () => {}, doneBefore }) {
  const TIMEOUT = Symbol("timeout");
  const timers = [];
  const host = {
    record,
    save,
    onCheckpoint,
    doneBefore,
    Request,
    TIMEOUT,
    timeout: () => new Promise((resolve) => timers.push(setTimeout(() => resolve(TIMEOUT), TIMEOUT_MS))),
  };
  const context = vm.createContext({ __host: host, Request, Response, Headers, TextEncoder, TextDecoder, atob, btoa });
  const run = (script) => script.runInContext(context, { timeout: TIMEOUT_MS });
  try {
    if (save) {
      // the serializer finds node:util's isProxy through `process` (absent in the realm): lent while it loads
      context.process = { getBuiltinModule: (id) => process.getBuiltinModule(id) };
      run(scripts.serializer);
      delete context.process;
    }
    run(scripts.realm);
    for (const file of ["assert.js", "sta.js", ...(test.includes ?? [])]) run(scripts.harness[file]);
    run(handler);
  } catch (error) {
    return { kind: "load", error: `${error?.constructor?.name}: ${error?.message}` };
  }
  const outcome = await Promise.race([
    context.__t262.run(compiled, test.async === true),
    new Promise((resolve) => timers.push(setTimeout(() => resolve({ kind: "timeout" }), TIMEOUT_MS * 2))),
  ]);
  timers.forEach(clearTimeout);
  return outcome;
}

const newRecord = () => ({ memo: new Map(), checkpoint: null, checkpoints: 0 });
const copyRecord = (r) => ({ memo: new Map(r.memo), checkpoint: r.checkpoint, checkpoints: r.checkpoints });
const same = (a, b) => a.kind === b.kind && a.error === b.error && JSON.stringify(a.prints) === JSON.stringify(b.prints);
const show = (o) => `${o.kind}${o.error ? ` (${o.error})` : ""}${o.prints?.length ? ` printed ${JSON.stringify(o.prints)}` : ""}`;
const mismatch = (plain, compiled, where = "") => ({ result: "wrong", detail: `${where}plain: ${show(plain)} / compiled: ${show(compiled)}` });
/** A compiled run that failed in the machine itself (not in the user's code) is an internal error. */
const machineFault = (o) => (o.kind === "load" || /durable machine/.test(o.error ?? "") ? { result: "internal", detail: show(o) } : null);

/** Runs one test in the given variants: { variant: { result, detail? } }. */
export async function runTest(bundle, test, variants = VARIANTS) {
  const scripts = sharedScripts(bundle);
  const results = {};
  // "steps" and "resume" share the body with checkpoints: its plain run and its compiled machine
  const prepared = new Map();
  const prepare = async (body) => {
    if (prepared.has(body)) return prepared.get(body);
    const module = moduleOf(body);
    let ready;
    try {
      const plainScript = evaluable(module);
      const plain = await simulateProcess(scripts, test, plainScript, { compiled: false, record: newRecord() });
      if (plain.kind === "load" || plain.kind === "timeout") ready = { skip: `plain: ${show(plain)}` };
      else ready = { plain, machine: compile(module) };
    } catch (error) {
      ready = { skip: `plain does not load: ${error.message}` };
    }
    prepared.set(body, ready);
    return ready;
  };
  for (const variant of variants) {
    const { skip, plain, machine } = await prepare(variant === "written" ? test.code : withCheckpoints(test.code));
    if (skip) results[variant] = { result: "skip", detail: skip };
    else if (machine.internal) results[variant] = { result: "internal", detail: machine.internal };
    else if (machine.rejected) results[variant] = { result: "rejected", detail: machine.rejected };
    else if (variant === "resume") results[variant] = warnedDifference(await resumeEverywhere(scripts, test, machine.script, plain, machine.lostJobs), machine.warned);
    else results[variant] = await straight(scripts, test, machine.script, plain);
  }
  return results;
}

/** A `resume` difference the compiler warned about (WARNED_DIFFERENCES) is `allowed`, naming the warnings. */
const warnedDifference = (outcome, warned) => (outcome.result === "wrong" && warned.length ? { result: "allowed", detail: `warned ${warned.join(", ")}: ${outcome.detail}` } : outcome);

async function straight(scripts, test, script, plain) {
  const compiled = await simulateProcess(scripts, test, script, { compiled: true, record: newRecord() });
  return machineFault(compiled) ?? (same(plain, compiled) ? { result: "pass" } : mismatch(plain, compiled));
}

/**
 * A saving run, then for each checkpoint k a new realm resumed from the record as it was at k — what
 * a process killed right after k leaves — with the lines printed before k and after the resume.
 */
async function resumeEverywhere(scripts, test, script, plain, lostJobs) {
  const full = newRecord();
  const crashes = [];
  const first = await simulateProcess(scripts, test, script, { compiled: true, record: full, save: true, onCheckpoint: (prints, done) => crashes.push({ record: copyRecord(full), prints, done }) });
  if (first.kind === "unsaveable") return { result: "allowed", detail: first.error };
  const fault = machineFault(first);
  if (fault) return fault;
  if (!same(plain, first)) return mismatch(plain, first, "saving, no crash: ");
  for (const [i, { record, prints, done }] of crashes.entries()) {
    // what the killed process did before k stays done: its printed lines and its `$DONE` call
    const after = await simulateProcess(scripts, test, script, { compiled: true, record, save: true, doneBefore: done });
    if (after.kind === "unsaveable") return { result: "allowed", detail: after.error };
    const resumed = { ...after, prints: [...prints, ...(after.prints ?? [])] };
    // an async test whose `$DONE` was still a pending callback when the process died: lost, as DE1017 warned
    if (lostJobs && after.kind === "timeout" && plain.kind !== "timeout")
      return { result: "allowed", detail: `warned DE1017: crash after checkpoint ${i + 1}: $DONE was a pending callback of the killed process` };
    const bad = machineFault(after) ?? (same(plain, resumed) ? null : mismatch(plain, resumed, `crash after checkpoint ${i + 1}: `));
    if (bad) return bad;
  }
  return { result: "pass" };
}
