export * from "./types.js";
export { isMachine, MACHINE_FORMAT } from "./machine.js";
export type { MachineDefinition, MachineContext, MachineStepInfo, StepKind } from "./machine.js";
