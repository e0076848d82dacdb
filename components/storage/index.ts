export * from "./logic";
export * from "./storage";
export * from "./versions";
