export * from "./hub";
export * from "./spoke";
export * from "./values";
export * from "./versions";
