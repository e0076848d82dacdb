export * from "./facts";
export * from "./flux";
export * from "./hub-identity";
export * from "./spoke-registration";
export * from "./versions";
