// Placeholder owned by the generator work (issue 7): the `alerting:` section of the config.
import { z } from 'zod';

export const alertingSchema = z.object({}).passthrough();
export type AlertingConfig = z.infer<typeof alertingSchema>;
