import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry for the whole process. Each module declares its own metrics here by name
 * (prefix `govmail_`) with the helpers below and updates them itself; `/metrics` renders the registry.
 * Declaring the same name twice returns the first metric, so a module loaded twice (tests) does not throw.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'govmail_' });
// prom-client also exports these three gauges under a counter's "_total" name (promtool refuses them);
// the same figures remain as govmail_nodejs_active_handles, _requests and _resources.
for (const n of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`govmail_nodejs_active_${n}_total`);

type Labels = readonly string[];

export function counter(name: string, help: string, labelNames: Labels = []): Counter<string> {
  return (registry.getSingleMetric(name) as Counter<string>) ?? new Counter({ name, help, labelNames: [...labelNames], registers: [registry] });
}

export function histogram(name: string, help: string, labelNames: Labels = [], buckets?: number[]): Histogram<string> {
  return (registry.getSingleMetric(name) as Histogram<string>) ?? new Histogram({ name, help, labelNames: [...labelNames], registers: [registry], ...(buckets ? { buckets } : {}) });
}

const collectors = new Map<string, (g: Gauge<string>) => Promise<void> | void>();

/**
 * A gauge read when scraped (`collect` sets its value, e.g. the queue depth from the database). The
 * latest `collect` given for a name is the one used: a service started again brings its own sources.
 */
export function gauge(name: string, help: string, labelNames: Labels = [], collect?: (g: Gauge<string>) => Promise<void> | void): Gauge<string> {
  if (collect) collectors.set(name, collect);
  const existing = registry.getSingleMetric(name) as Gauge<string> | undefined;
  if (existing) return existing;
  return new Gauge({
    name,
    help,
    labelNames: [...labelNames],
    registers: [registry],
    async collect(this: Gauge<string>) {
      const fn = collectors.get(name);
      if (!fn) return;
      this.reset();
      // A source that is down (database restarting) leaves the gauge empty rather than failing the scrape.
      await Promise.resolve(fn(this)).catch(() => undefined);
    },
  });
}

export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
