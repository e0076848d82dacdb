/**
 * Types shared by the config sections. Type-only imports of stacks/config.ts are erased at run
 * time, so sections see the whole validated configuration without an import cycle.
 */
import type { z } from "zod";
import type { PlatformConfig } from "../config";

/** What a section's cross-key checks receive: the whole validated configuration. */
export type SectionConfig = PlatformConfig;

/** The keys of one section as the validated configuration carries them (derived from its schema). */
export type SectionOf<S extends z.ZodRawShape> = Readonly<z.output<z.ZodObject<S>>>;

/** The stack role a key belongs to: set on a stack of the other role, it is a mistake. */
export type RoleOnly<S extends z.ZodRawShape> = Partial<Record<keyof S, "hub" | "spoke">>;
