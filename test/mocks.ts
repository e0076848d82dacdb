/**
 * Shared test helpers: the plan's mock runtime, the recorded resources and Output helpers.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  PlatformMocks,
  recordRegistrations,
  settle,
  type MockOptions,
  type RecordedResource,
} from "../tools/plan/mocks";

export type { RecordedResource };

let sink: RecordedResource[] = [];

/**
 * Installs the mock runtime for a test file (call in `before`/at the top of a `describe`).
 * @param options Region and stack outputs for StackReferences.
 */
export function setupMocks(options: MockOptions & { stack?: string; project?: string } = {}): void {
  sink = [];
  void pulumi.runtime.setMocks(
    new PlatformMocks(options),
    options.project ?? "platform",
    options.stack ?? "test",
    false,
    "organization",
  );
  recordRegistrations(sink);
}

/** Forgets the resources recorded so far. */
export function resetRecorded(): void {
  sink.length = 0;
}

/** Every resource registered since the last setupMocks/resetRecorded, after pending RPCs settle. */
export async function recorded(): Promise<RecordedResource[]> {
  await settle();
  return [...sink];
}

/** Resources of one type token (e.g. `aws:kms/key:Key`). */
export async function recordedOfType(type: string): Promise<RecordedResource[]> {
  return (await recorded()).filter((r) => r.type === type);
}

/** The one resource of a type and name; throws when absent. */
export async function recordedResource(type: string, name: string): Promise<RecordedResource> {
  const found = (await recorded()).find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name} was registered`);
  return found;
}

/** The value of an Output (or a plain value). */
export function promiseOf<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) =>
    pulumi.output(output).apply((v) => {
      resolve(v as T);
      return v;
    }),
  );
}
