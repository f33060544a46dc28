import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

// The scrape of a LIVELOG_WORKERS group: the workers' metrics added up, each by its own aggregator,
// and the primary's own. The primary runs the shared doorbell and the viewer counts' database
// rounds, so its livelog_* counts (livelog_db_errors_total{operation="doorbell"|"presence"}) are
// added in like a worker's; its process and event-loop metrics are labelled role="primary" beside
// the workers' sums instead of being added to them (a sum would hide which process is busy, and an
// average would dilute it).

export type ProcessMetrics = MetricObjectWithValues<MetricValue<string>>[];

/** Whether a metric is one of prom-client's process and event-loop metrics rather than Livelog's. */
const isLivelogs = (metric: { name: string }) => metric.name.startsWith('livelog_');

/** One exposition for the group: `workers` (one entry per worker that answered) and the primary's own. */
export async function groupMetrics(workers: ProcessMetrics[], primary: ProcessMetrics): Promise<string> {
  const summed = await AggregatorRegistry.aggregate([...workers, primary.filter(isLivelogs)]).getMetricsAsJSON();
  const families = new Map(summed.map((metric) => [metric.name, { ...metric, values: [...metric.values] }]));
  for (const metric of primary.filter((m) => !isLivelogs(m))) {
    const values = metric.values.map((value) => ({ ...value, labels: { ...value.labels, role: 'primary' } }));
    const family = families.get(metric.name);
    if (family) family.values.push(...values);
    else families.set(metric.name, { ...metric, values });
  }
  // Every series is now named by its labels once: 'first' keeps each as it is.
  const combined = [...families.values()].map((metric) => ({ ...metric, aggregator: 'first' as const }));
  return AggregatorRegistry.aggregate([combined]).metrics();
}
