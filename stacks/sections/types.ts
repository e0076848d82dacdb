/**
 * The view of the validated configuration that section cross-checks receive (kept loose here to
 * avoid an import cycle with stacks/config.ts; sections narrow it to the keys they own).
 */
export type SectionConfig = Readonly<Record<string, unknown>> & {
  readonly role: "hub" | "spoke";
  readonly stack: string;
  readonly production: boolean;
  readonly vpcCidr: string;
};
