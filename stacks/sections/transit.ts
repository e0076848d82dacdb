/**
 * Config keys of the transit capability (merged into the `platform` namespace by stacks/config.ts).
 */
import type { SectionConfig } from "./types";

/** Keys of this section: zod schemas with TSDoc and @default. */
export const transitSchema = {};

/** Cross-key rules of this section; throws ConfigError on bad input. */
export function transitChecks(_config: SectionConfig): void {}
