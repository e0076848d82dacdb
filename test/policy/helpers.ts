import type { ResourceValidationPolicy } from "@pulumi/policy";
import { runResourcePolicy } from "../../policy/testing";

/** Messages a resource policy reports for one resource. */
export async function messages(
  policy: ResourceValidationPolicy,
  type: string,
  props: Record<string, unknown>,
  config?: Record<string, unknown>,
): Promise<string[]> {
  return (await runResourcePolicy(policy, { type, props, config })).violations.map((v) => v.message);
}
