/**
 * The settings of the farebox ECS on Fargate stack: its typed props and the defaults the CDK app starts
 * from. Every farebox role is one entry of `roles` (image, command, size, ports, secrets, scaling), so
 * a new role is one more entry, not new code.
 */
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** The farebox image: one image for every role, `ENTRYPOINT ["node","bin/farebox.js"]`. */
export type ImageSource =
  /** An ECR repository the stack creates under this name; push the image there, tagged `tag`. */
  | { kind: 'ecr'; repositoryName: string; tag: string }
  /** An image URI the tasks pull as is (public registry, or ECR the execution role may already read). */
  | { kind: 'registry'; uri: string };

/** Where the event log lives (FAREBOX_LOG=kafka://…). */
export type KafkaSource =
  /**
   * An Amazon MSK provisioned cluster in the stack's private subnets. farebox's Kafka client speaks
   * plaintext only (no TLS, no SASL/IAM), so clients reach the brokers on 9092 inside the VPC, allowed
   * only from the farebox tasks' security groups; MSK Serverless (IAM auth only) is therefore not offered.
   */
  | {
      kind: 'msk';
      /** A multiple of the number of AZs (2). Default 2. */
      brokerCount?: number;
      /** Default `kafka.t3.small`. */
      instanceType?: string;
      /** Default `3.8.x` (MSK's recommended version). */
      kafkaVersion?: string;
      /** EBS volume per broker in GiB. Default 100. */
      volumeGiB?: number;
    }
  /** Brokers the stack does not manage, reachable from the private subnets: `host1:9092,host2:9092`. */
  | {
      kind: 'existing';
      brokers: string;
      /** Copies of each partition of the topics farebox creates (FAREBOX_REPLICATION_FACTOR). Default 3. */
      replicationFactor?: number;
    };

/** Where the operational database lives (FAREBOX_OPS_DB=postgres://…, always passed as a secret). */
export type OpsDbSource =
  /**
   * An RDS PostgreSQL instance in the private subnets, with generated credentials; the stack writes a
   * second secret holding the whole `postgres://user:pass@host:5432/ops?sslmode=…` URL, assembled by
   * CloudFormation from dynamic references (the password never appears in the template).
   */
  | {
      kind: 'rds';
      /** EC2-style instance type without the `db.` prefix. Default `t4g.micro`. */
      instanceType?: string;
      /** GiB. Default 20. */
      allocatedStorageGiB?: number;
      /**
       * Query of the URL. Default `sslmode=no-verify`: RDS PostgreSQL forces TLS, and Node does not
       * trust the RDS CA; ship the RDS bundle in the image and use `sslmode=verify-full&sslrootcert=…`
       * to verify the server as well.
       */
      urlQuery?: string;
      /** Default true. */
      deletionProtection?: boolean;
    }
  /** A Secrets Manager secret (name or full ARN) whose whole value is the `postgres://user:pass@host:port/db` URL. */
  | { kind: 'existing'; urlSecretName: string };

/** Secrets a role may receive, each as one environment variable filled by ECS from Secrets Manager. */
export type RoleSecret = 'warehouse' | 'opsDb' | 'tokens';

/** How a role's service scales, if it does. */
export type RoleScaling =
  /** Target tracking on the service's average CPU. */
  | { kind: 'cpu'; min: number; max: number; targetPercent: number }
  /**
   * Step scaling on the consumer-lag metric (see lag-metric.ts): one more task while the worst topic's
   * lag stays above `scaleOutAbove`, one fewer while it stays below `scaleInBelow`. Keep `max` at most
   * the topics' partition count (FAREBOX_PARTITIONS): sinks beyond it get no partition and sit idle.
   */
  | { kind: 'lag'; min: number; max: number; scaleOutAbove: number; scaleInBelow: number };

/** One farebox role run as one Fargate service. */
export interface RoleSettings {
  /** Arguments after the image's entrypoint. Default `['serve', <role name>]`. */
  command?: string[];
  /** Task CPU units (1024 = 1 vCPU); with `memoryMiB` it must be a pair Fargate offers. */
  cpu: number;
  /** Task memory in MiB. */
  memoryMiB: number;
  /** Tasks at deploy time (scaling may change it between `min` and `max`). */
  desiredCount: number;
  /** The role's own HTTP port, beside the ops port every role has. */
  port?: number;
  /** Which secrets the role gets (FAREBOX_WAREHOUSE, FAREBOX_OPS_DB, FAREBOX_TOKENS). */
  secrets?: RoleSecret[];
  /** Extra plain environment (never credentials: those go through `secrets`). */
  environment?: Record<string, string>;
  /** Registers the tasks in Cloud Map as `<name>.<namespace>` (A records). */
  discoveryName?: string;
  /**
   * Put the role behind the public ALB on `port`. Without `pathPatterns` it is the listener's default
   * target; with them, a listener rule (the dashboards role beside the gateway).
   */
  loadBalanced?: { pathPatterns?: string[] };
  /**
   * At most one task at any time, also during deploys (minHealthy 0 %, maxHealthy 100 %): the scheduler,
   * which also takes leases in the ops DB.
   */
  singleton?: boolean;
  scaling?: RoleScaling;
  /** Runs the CloudWatch agent beside the role to publish its consumer lag (sinks). */
  publishesLag?: boolean;
}

/** The consumer-lag metric the sinks scale on (see lag-metric.ts for how it gets to CloudWatch). */
export interface LagMetricSettings {
  /** CloudWatch namespace. Default `Farebox`. */
  namespace: string;
  /** CloudWatch metric name (renamed from the Prometheus `farebox_consumer_lag`). Default `ConsumerLag`. */
  metricName: string;
  /** The CloudWatch agent image run beside each sink; pin a version in production. */
  agentImage: string;
  /** Seconds between scrapes of the sink's /metrics. Default 30. */
  scrapeIntervalSeconds: number;
}

export interface FareboxStackProps {
  image: ImageSource;
  /** The roles, by name; see `defaultRoles`. */
  roles: Record<string, RoleSettings>;
  kafka: KafkaSource;
  /**
   * Secrets Manager secret (name or full ARN) whose whole value is the warehouse URL with credentials,
   * `https://user:pass@clickhouse-host:8443/farebox`. The stack never sees the value.
   */
  clickhouseUrlSecretName: string;
  opsDb: OpsDbSource;
  /** Existing secret (name or full ARN) with the gateway's comma-separated bearer tokens; default: generated. */
  tokensSecretName?: string;
  /** Private DNS namespace of Cloud Map. Default `farebox.local`. */
  namespace?: string;
  /** ACM certificate for HTTPS on the ALB (then port 80 redirects); without it the ALB listens on HTTP 80. */
  certificateArn?: string;
  /** How long the role log groups keep events. Default one month (30 days). */
  logRetention?: RetentionDays;
  /**
   * Partitions of each topic farebox creates (FAREBOX_PARTITIONS). Default 12. Sinks share partitions,
   * so a lag-scaled role's `max` may not exceed it (checked at synth).
   */
  partitions?: number;
  /** Consumer group of the sinks (FAREBOX_SINK_GROUP). Default `farebox-sink`. */
  sinkGroup?: string;
  lagMetric?: Partial<LagMetricSettings>;
  /**
   * Deploy every service with zero tasks and no scaling floor: for the first deploy, which creates the
   * ECR repository the image is then pushed to.
   */
  paused?: boolean;
}

/** Ports every farebox role follows (README "Roles as processes"). */
export const ports = { gateway: 8787, registry: 8081, dashboards: 8788, ops: 9464 } as const;

/** A role drains within FAREBOX_SHUTDOWN_SECONDS after SIGTERM; ECS waits a little longer. */
export const shutdown = { drainSeconds: 25, stopTimeoutSeconds: 30 } as const;

/** The roles farebox has today (`preload` is a one-off job, not a service). */
export const defaultRoles: Record<string, RoleSettings> = {
  gateway: {
    cpu: 512,
    memoryMiB: 1024,
    desiredCount: 2,
    port: ports.gateway,
    secrets: ['tokens'],
    loadBalanced: {},
    scaling: { kind: 'cpu', min: 2, max: 8, targetPercent: 60 },
  },
  registry: { cpu: 256, memoryMiB: 512, desiredCount: 2, port: ports.registry, discoveryName: 'registry' },
  sink: {
    cpu: 1024,
    memoryMiB: 2048,
    desiredCount: 2,
    secrets: ['warehouse'],
    publishesLag: true,
    scaling: { kind: 'lag', min: 2, max: 6, scaleOutAbove: 50_000, scaleInBelow: 1_000 },
  },
  scheduler: { cpu: 512, memoryMiB: 1024, desiredCount: 1, secrets: ['warehouse', 'opsDb'], singleton: true },
  // The dashboards API behind the ALB on /api/* and / (the gateway keeps every other path, /v1/events/…).
  // Sign-in required: FAREBOX_DASHBOARDS_ANONYMOUS is never set; users and sessions live in the ops DB,
  // so any task serves any user.
  dashboards: {
    cpu: 512,
    memoryMiB: 1024,
    desiredCount: 2,
    port: ports.dashboards,
    secrets: ['warehouse', 'opsDb'],
    environment: {
      FAREBOX_DASHBOARDS_PORT: String(ports.dashboards),
      FAREBOX_QUERY_TIMEOUT_SECONDS: '30',
      FAREBOX_QUERY_MAX_ROWS: '10000',
    },
    loadBalanced: { pathPatterns: ['/api/*', '/'] },
    scaling: { kind: 'cpu', min: 2, max: 6, targetPercent: 60 },
  },
  // A load generator: present, but running no task unless asked for.
  simulator: { cpu: 256, memoryMiB: 512, desiredCount: 0 },
};

export const defaultLagMetric: LagMetricSettings = {
  namespace: 'Farebox',
  metricName: 'ConsumerLag',
  agentImage: 'public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest',
  scrapeIntervalSeconds: 30,
};

/** What the CDK app deploys unless context says otherwise (see app.ts). */
export const defaultStackProps: FareboxStackProps = {
  image: { kind: 'ecr', repositoryName: 'farebox', tag: 'latest' },
  roles: defaultRoles,
  kafka: { kind: 'msk' },
  clickhouseUrlSecretName: 'farebox/clickhouse-url',
  opsDb: { kind: 'rds' },
};
