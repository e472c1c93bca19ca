import { durableTransformer } from "./transformer.js";

export { durableTransformer, type DurableTransformerOptions, type TransformerExtras } from "./transformer.js";
export default durableTransformer;
