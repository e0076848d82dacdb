/**
 * Types shared by the config sections. A section sees the core keys and its own, never the assembled
 * configuration (stacks/config.ts imports the sections; they do not import it back).
 */
import type { z } from "zod";
import type { CoreConfig } from "../core";

/** The keys of one section as the validated configuration carries them (derived from its schema). */
export type SectionOf<S extends z.ZodRawShape> = Readonly<z.output<z.ZodObject<S>>>;

/** What a section's cross-key checks receive: the core keys and the section's own. */
export type SectionConfig<S extends z.ZodRawShape> = CoreConfig & SectionOf<S>;

/** The stack role a key belongs to: set on a stack of the other role, it is a mistake. */
export type RoleOnly<S extends z.ZodRawShape> = Partial<Record<keyof S, "hub" | "spoke">>;
