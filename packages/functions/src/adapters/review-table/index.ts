export * from "./board.js";
export * from "./errors.js";
export * from "./table.js";
