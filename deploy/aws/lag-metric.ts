/**
 * The consumer-lag metric the sinks scale on, and how it reaches CloudWatch.
 *
 * Sinks export the Prometheus gauge `farebox_consumer_lag{topic,group}` at /metrics on the ops port: the
 * whole group's lag per topic, read from the log, so every sink task reports the same values. Nothing in
 * farebox writes to CloudWatch itself; instead each sink task runs the CloudWatch agent as a sidecar
 * that scrapes localhost:9464/metrics, keeps only that gauge, renames it to `metricName`, and writes it
 * as embedded metric format (EMF) to a log group, from which CloudWatch extracts the metric into
 * `namespace` with dimensions {stack, service} (for scaling) and {stack, service, topic} (for reading).
 * Scaling uses the Maximum over a minute: the worst topic's lag (summing would count each task's copy).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { FargateTaskDefinition, LogDriver } from 'aws-cdk-lib/aws-ecs';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { LagMetricSettings } from './config.ts';
import { ports } from './config.ts';

export interface LagMetricDeps {
  /** The log group the agent writes its EMF events to. */
  emfLogGroup: ILogGroup;
  /** Where the agent's own log lines go. */
  logging: LogDriver;
}

/** The metric the scaling policy watches, for the service named `service` of this stack. */
export function lagMetric(stack: Stack, settings: LagMetricSettings, service: string): Metric {
  return new Metric({
    namespace: settings.namespace,
    metricName: settings.metricName,
    dimensionsMap: { stack: stack.stackName, service },
    statistic: 'Maximum',
    period: Duration.minutes(1),
  });
}

const jobName = (service: string): string => `farebox-${service}`;

/** The Prometheus scrape configuration (YAML is a superset of JSON, so JSON it is). */
export function scrapeConfig(settings: LagMetricSettings, stackName: string, service: string): string {
  return JSON.stringify({
    global: { scrape_interval: `${settings.scrapeIntervalSeconds}s`, scrape_timeout: '10s' },
    scrape_configs: [
      {
        job_name: jobName(service),
        static_configs: [{ targets: [`localhost:${ports.ops}`], labels: { stack: stackName, service } }],
        metric_relabel_configs: [
          { source_labels: ['__name__'], regex: 'farebox_consumer_lag', action: 'keep' },
          {
            source_labels: ['__name__'],
            regex: 'farebox_consumer_lag',
            target_label: '__name__',
            replacement: settings.metricName,
            action: 'replace',
          },
        ],
      },
    ],
  });
}

/** The CloudWatch agent configuration: Prometheus in, EMF out (JSON; may hold tokens, hence `toJsonString`). */
export function agentConfig(
  stack: Stack,
  settings: LagMetricSettings,
  emfLogGroupName: string,
  service: string,
): string {
  return stack.toJsonString({
    logs: {
      metrics_collected: {
        prometheus: {
          log_group_name: emfLogGroupName,
          prometheus_config_path: 'env:PROMETHEUS_CONFIG_CONTENT',
          emf_processor: {
            metric_namespace: settings.namespace,
            metric_declaration: [
              {
                source_labels: ['job'],
                label_matcher: `^${jobName(service)}$`,
                dimensions: [
                  ['stack', 'service'],
                  ['stack', 'service', 'topic'],
                ],
                metric_selectors: [`^${settings.metricName}$`],
              },
            ],
          },
        },
      },
      force_flush_interval: 15,
    },
  });
}

/**
 * Adds the agent to a sink's task definition. It is not essential: if it stops, the sink keeps loading
 * and only the metric pauses (the scaling alarms then see missing data and take no action).
 */
export function addLagAgent(
  taskDefinition: FargateTaskDefinition,
  settings: LagMetricSettings,
  service: string,
  deps: LagMetricDeps,
): void {
  const stack = Stack.of(taskDefinition);
  taskDefinition.addContainer('cloudwatch-agent', {
    image: ContainerImage.fromRegistry(settings.agentImage),
    essential: false,
    memoryReservationMiB: 64,
    logging: deps.logging,
    environment: {
      CW_CONFIG_CONTENT: agentConfig(stack, settings, deps.emfLogGroup.logGroupName, service),
      PROMETHEUS_CONFIG_CONTENT: scrapeConfig(settings, stack.stackName, service),
    },
  });
  deps.emfLogGroup.grantWrite(taskDefinition.taskRole);
}
