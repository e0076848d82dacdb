export * from "./hub";
export * from "./spoke";
export * from "./values";
export * from "./versions";
export { credentialSecret, generatePassword, platformNamespace } from "./shared";
