export * from "./logic";
export * from "./organization";
