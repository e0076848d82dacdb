export * from "./runner";
export * from "./versions";
