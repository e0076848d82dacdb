export * from "./cluster";
export * from "./versions";
