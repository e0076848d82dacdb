export * from "./network";
export * from "./transit";
