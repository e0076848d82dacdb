export * from "./environment";
export * from "./logic";
export * from "./organization";
