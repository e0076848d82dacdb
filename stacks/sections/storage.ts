/**
 * Config keys of the storage capability (merged into the `platform` namespace by stacks/config.ts).
 */
import type { SectionConfig } from "./types";

/** Keys of this section: zod schemas with TSDoc and @default. */
export const storageSchema = {};

/** Cross-key rules of this section; throws ConfigError on bad input. */
export function storageChecks(_config: SectionConfig): void {}
