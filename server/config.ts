import { envSchema } from 'env-schema';
import type { Static, TSchema } from '@sinclair/typebox';
import { ConfigSchema } from './config-schema.ts';
import { trustedProxies } from './proxy-trust.ts';

/** Pressure limits below these would refuse every request of a healthy process; 0 turns one off. */
const PRESSURE_FLOORS = { LIVELOG_MAX_EVENT_LOOP_DELAY_MS: 50, LIVELOG_MAX_HEAP_MB: 64, LIVELOG_MAX_RSS_MB: 128 } as const;

export type Config = Static<typeof ConfigSchema>;

/** The schema, for scripts/config-table.ts, which writes the README's table from it. */
export const CONFIG_SCHEMA = ConfigSchema;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  // Ajv would read 0x10 or 3e3 as numbers: a number setting is written in plain digits.
  for (const [name, property] of Object.entries(ConfigSchema.properties)) {
    const value = cleaned[name];
    if (property.type === 'integer' && value !== undefined && !/^\d{1,10}$/.test(value)) throw new Error(`${name} must be a whole number in digits (got "${value.slice(0, 40)}")`);
  }
  // defaultText is an annotation for the README's table, made known so that strict Ajv accepts it.
  let config: Config;
  try {
    config = envSchema<Config>({ schema: ConfigSchema, data: cleaned, dotenv: false, ajv: { customOptions: (ajv) => ajv.addKeyword('defaultText') } });
  } catch (error) {
    throw new Error(plainConfigError((error as Error).message, cleaned));
  }
  // Checked here, not when the server is built, so that a bad list stops the start naming it.
  try {
    trustedProxies(config.LIVELOG_TRUST_PROXY);
  } catch (error) {
    throw new Error(`LIVELOG_TRUST_PROXY: ${(error as Error).message} (expected addresses or CIDRs, comma-separated, or loopback)`);
  }
  if (config.LIVELOG_PUBLIC_URL !== undefined) checkPublicUrl(config.LIVELOG_PUBLIC_URL);
  if (config.LIVELOG_METRICS_PORT !== undefined && config.LIVELOG_METRICS_PORT === config.PORT) {
    throw new Error('LIVELOG_METRICS_PORT must differ from PORT: metrics are never served on the public port');
  }
  for (const [name, floor] of Object.entries(PRESSURE_FLOORS)) {
    const value = config[name as keyof typeof PRESSURE_FLOORS];
    if (value !== undefined && value !== 0 && value < floor) throw new Error(`${name} must be 0 (off) or at least ${floor} (got ${value})`);
  }
  return config;
}

/** Links and cookies are built from it: an origin with an optional path, nothing else. */
function checkPublicUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`LIVELOG_PUBLIC_URL is not a URL: "${value.slice(0, 80)}"`);
  }
  if (url.search || url.hash || url.username || url.password || value.includes('?') || value.includes('#')) {
    throw new Error('LIVELOG_PUBLIC_URL must be like https://live.example.org (no query, fragment or user name)');
  }
}

/** Ajv's "env/LOG_LEVEL must be equal to constant, …" as one line naming the setting, its value and what it takes. */
function plainConfigError(message: string, env: Record<string, string | undefined>): string {
  const name = /env\/([A-Z_]+)/.exec(message)?.[1];
  const property = name ? (ConfigSchema.properties as Record<string, TSchema>)[name] : undefined;
  if (!name || !property) return message;
  const value = JSON.stringify((env[name] ?? '').slice(0, 60));
  return `${name}=${value} is not valid: ${expectation(property)}`;
}

function expectation(property: TSchema): string {
  const choices = (property.anyOf as TSchema[] | undefined)?.map((choice) => choice.const).filter((c) => c !== undefined);
  if (choices?.length) return `one of ${choices.join(', ')}`;
  if (property.type === 'integer') return `a whole number from ${property.minimum} to ${property.maximum}`;
  return property.description ?? 'see the configuration table in README.md';
}
