// The `scrape:` section: how Prometheus reaches vigil. `generate-rules` turns it, with the web config, into the
// scrape config snippet. Its files live on Prometheus's machine: vigil never reads them.
import { z } from 'zod';

export const scrapeSchema = z.strictObject({
  job_name: z.string().min(1).default('vigil'),
  target: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'host:port Prometheus scrapes; default: the listen address (0.0.0.0 and :: become localhost).' }),
  server_name: z.string().min(1).optional().meta({ description: "tls_config.server_name: the name in vigil's certificate, when target is not it." }),
  ca_file: z.string().min(1).default('vigil-ca.crt').meta({ description: "CA that signed vigil's certificate, on the Prometheus side." }),
  cert_file: z
    .string()
    .min(1)
    .default('vigil-client.crt')
    .meta({ description: 'Client certificate Prometheus presents, written only when the web config asks for one.' }),
  key_file: z.string().min(1).default('vigil-client.key').meta({ description: 'Key of cert_file, on the Prometheus side.' }),
  username: z.string().min(1).optional().meta({ description: 'Basic auth user; default: the first of basic_auth_users.' }),
  password_file: z
    .string()
    .min(1)
    .default('vigil-password')
    .meta({ description: 'File holding the basic auth password in clear, on the Prometheus side (the web config holds only its hash).' }),
});

export type ScrapeSettings = z.output<typeof scrapeSchema>;
