/**
 * Typed access to the two runtime helpers `@pulumi/policy` 1.21.0 exports without type declarations
 * (its `proxy.d.ts` is empty): the unknown-checking proxy that server.js wraps props in, and the
 * error it throws when a policy reads a value that is unknown during preview.
 */
import * as policySdk from "@pulumi/policy";

const sdk = policySdk as unknown as {
  unknownCheckingProxy: <T extends object>(toProxy: T) => T;
  UnknownValueError: new (sentinel: string, props: string[]) => Error;
};

export const unknownCheckingProxy = sdk.unknownCheckingProxy;
export const UnknownValueError = sdk.UnknownValueError;
