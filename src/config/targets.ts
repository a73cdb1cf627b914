// Placeholder owned by the targets work (issue 3): the `targets:` section of the config.
import { z } from 'zod';

export const targetsSchema = z.array(z.object({ name: z.string() }).passthrough());
export type TargetsConfig = z.infer<typeof targetsSchema>;
