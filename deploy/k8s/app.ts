/**
 * farebox on Kubernetes (made for EKS on Fargate), as a cdk8s app: the namespace, the engines' ConfigMap,
 * one Deployment per role (gateway, registry, sink, scheduler, dashboards) from the one image, Services
 * for the gateway, the registry and the dashboards API, autoscalers for the sink, the gateway and the
 * dashboards, and a disruption budget per role.
 *
 * Secrets stay out of the manifests: the pods read named keys of an existing Secret (`farebox` by default;
 * deploy/README.md shows how to create it). S3 access comes from the service account's IAM role (IRSA,
 * made by deploy/k8s/eksctl-fargate.yaml) unless the Secret holds AWS keys.
 *
 * The sink autoscales on CPU. Scaling on consumer lag needs an external metric (KEDA's Kafka scaler, or
 * a Prometheus adapter); a KEDA ScaledObject is left out because this repo cannot validate it offline.
 *
 * `synthManifests` returns the objects and their YAML without touching files (tests call it);
 * deploy/k8s/synth.ts writes them to deploy/k8s/dist/farebox.k8s.yaml.
 */
import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-32';
import pkg from '../../package.json' with { type: 'json' };

/** The roles that run on Kubernetes (the simulator is for demos: compose profile `demo`). */
export const k8sRoles = ['gateway', 'registry', 'sink', 'scheduler', 'dashboards'] as const;
export type K8sRole = (typeof k8sRoles)[number];

export interface ManifestOptions {
  namespace: string;
  image: string;
  /** An existing Secret; see `secretKeys` for the keys each role reads. */
  secretName: string;
  /** Made by eksctl with an IAM role for S3 (iam.serviceAccounts in eksctl-fargate.yaml). */
  serviceAccountName: string;
  log: string;
  objects: string;
  /** Topic partitions: the most sinks that can share the work. */
  partitions: number;
  /** Copies of each partition on the Kafka cluster (FAREBOX_REPLICATION_FACTOR). */
  replicationFactor: number;
  gatewayReplicas: { min: number; max: number };
  registryReplicas: number;
  sinkReplicas: { min: number; max: number };
  /** The dashboards API: sessions live in the ops DB, so any replica serves any user. */
  dashboardsReplicas: { min: number; max: number };
}

export const defaultOptions: ManifestOptions = {
  namespace: 'farebox',
  image: `farebox:${pkg.version}`,
  secretName: 'farebox',
  serviceAccountName: 'farebox',
  log: 'kafka://kafka:9092',
  objects: 's3://farebox-media?region=us-east-1',
  partitions: 4,
  replicationFactor: 3,
  gatewayReplicas: { min: 2, max: 10 },
  registryReplicas: 2,
  sinkReplicas: { min: 2, max: 4 },
  dashboardsReplicas: { min: 2, max: 6 },
};

export const opsPort = 9464;
const homeDir = '/var/lib/farebox';
const configMapName = 'farebox-engines';
const appPorts: Partial<Record<K8sRole, number>> = { gateway: 8787, registry: 8081, dashboards: 8788 };

/** Secret keys per role: required ones, then optional ones (absent keys leave the variable unset). */
export const secretKeys: Record<K8sRole | 'all', { required: string[]; optional: string[] }> = {
  all: { required: [], optional: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] },
  gateway: { required: ['FAREBOX_TOKENS'], optional: [] },
  registry: { required: [], optional: [] },
  sink: { required: ['FAREBOX_WAREHOUSE'], optional: [] },
  scheduler: {
    required: ['FAREBOX_WAREHOUSE', 'FAREBOX_OPS_DB'],
    optional: ['FAREBOX_ALERT_WEBHOOK', 'DRIVER_NOTIFY_URL'],
  },
  dashboards: { required: ['FAREBOX_WAREHOUSE', 'FAREBOX_OPS_DB'], optional: [] },
};

const resources: Record<K8sRole, { cpu: string; memory: string; cpuLimit: string }> = {
  gateway: { cpu: '250m', memory: '512Mi', cpuLimit: '1' },
  registry: { cpu: '100m', memory: '256Mi', cpuLimit: '500m' },
  sink: { cpu: '500m', memory: '1Gi', cpuLimit: '2' },
  scheduler: { cpu: '250m', memory: '1Gi', cpuLimit: '1' },
  dashboards: { cpu: '250m', memory: '512Mi', cpuLimit: '1' },
};

const q = (v: string) => k8s.Quantity.fromString(v);

function labels(role?: K8sRole): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'farebox',
    'app.kubernetes.io/part-of': 'farebox',
    ...(role === undefined ? {} : { 'app.kubernetes.io/component': role }),
  };
}

/** What selects a role's pods: stable across versions (a Deployment's selector cannot change). */
function selector(role: K8sRole): Record<string, string> {
  return { 'app.kubernetes.io/name': 'farebox', 'app.kubernetes.io/component': role };
}

function env(o: ManifestOptions, role: K8sRole): k8s.EnvVar[] {
  const ref = (key: string, optional: boolean): k8s.EnvVar => ({
    name: key,
    valueFrom: { secretKeyRef: { name: o.secretName, key, ...(optional ? { optional: true } : {}) } },
  });
  const own = secretKeys[role];
  return [
    ...own.required.map((k) => ref(k, false)),
    ...[...own.optional, ...secretKeys.all.optional].map((k) => ref(k, true)),
  ];
}

function probe(path: string, periodSeconds: number, failureThreshold: number): k8s.Probe {
  return {
    httpGet: { path, port: k8s.IntOrString.fromNumber(opsPort) },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 2,
  };
}

function container(o: ManifestOptions, role: K8sRole): k8s.Container {
  const r = resources[role];
  const appPort = appPorts[role];
  return {
    name: role,
    image: o.image,
    imagePullPolicy: 'IfNotPresent',
    args: ['serve', role],
    ports: [
      ...(appPort === undefined ? [] : [{ name: 'http', containerPort: appPort }]),
      { name: 'ops', containerPort: opsPort },
    ],
    envFrom: [{ configMapRef: { name: configMapName } }],
    env: env(o, role),
    // Start-up opens the engines (and the sink migrates the warehouse): up to 150 s before liveness counts.
    startupProbe: probe('/livez', 5, 30),
    livenessProbe: probe('/livez', 10, 3),
    readinessProbe: probe('/readyz', 5, 2),
    resources: {
      requests: { cpu: q(r.cpu), memory: q(r.memory) },
      limits: { cpu: q(r.cpuLimit), memory: q(r.memory) },
    },
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: 'home', mountPath: homeDir },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
}

function deployment(chart: Chart, o: ManifestOptions, role: K8sRole, replicas?: number): void {
  new k8s.KubeDeployment(chart, `${role}-deployment`, {
    metadata: { name: `farebox-${role}`, namespace: o.namespace, labels: labels(role) },
    spec: {
      // Left out where an autoscaler owns the count, so that applying the manifests does not reset it.
      ...(replicas === undefined ? {} : { replicas }),
      selector: { matchLabels: selector(role) },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: {
          maxSurge: k8s.IntOrString.fromNumber(1),
          maxUnavailable: k8s.IntOrString.fromNumber(0),
        },
      },
      template: {
        metadata: {
          labels: { ...labels(role), 'app.kubernetes.io/version': pkg.version },
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(opsPort),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          serviceAccountName: o.serviceAccountName,
          // The role drains within FAREBOX_SHUTDOWN_SECONDS (25) of SIGTERM.
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            fsGroup: 10001,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [container(o, role)],
          volumes: [
            { name: 'home', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  });
  new k8s.KubePodDisruptionBudget(chart, `${role}-pdb`, {
    metadata: { name: `farebox-${role}`, namespace: o.namespace, labels: labels(role) },
    // One at a time: with a single scheduler this still lets Fargate evict it for patching.
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector(role) } },
  });
}

function service(chart: Chart, o: ManifestOptions, role: K8sRole, port: number): void {
  new k8s.KubeService(chart, `${role}-service`, {
    // The registry's name is `registry`, so FAREBOX_REGISTRY=http://registry:8081 works in the namespace.
    metadata: { name: role, namespace: o.namespace, labels: labels(role) },
    spec: {
      type: 'ClusterIP',
      selector: selector(role),
      ports: [{ name: 'http', port, targetPort: k8s.IntOrString.fromString('http') }],
    },
  });
}

function autoscaler(
  chart: Chart,
  o: ManifestOptions,
  role: K8sRole,
  replicas: { min: number; max: number },
  scaleDownWindowSeconds: number,
): void {
  new k8s.KubeHorizontalPodAutoscalerV2(chart, `${role}-hpa`, {
    metadata: { name: `farebox-${role}`, namespace: o.namespace, labels: labels(role) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `farebox-${role}` },
      minReplicas: replicas.min,
      maxReplicas: replicas.max,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: scaleDownWindowSeconds } },
    },
  });
}

function farebox(chart: Chart, o: ManifestOptions): void {
  new k8s.KubeNamespace(chart, 'namespace', {
    metadata: {
      name: o.namespace,
      labels: { ...labels(), 'pod-security.kubernetes.io/enforce': 'restricted' },
    },
  });
  new k8s.KubeConfigMap(chart, 'engines', {
    metadata: { name: configMapName, namespace: o.namespace, labels: labels() },
    data: {
      FAREBOX_LOG: o.log,
      FAREBOX_OBJECTS: o.objects,
      FAREBOX_REGISTRY: `http://registry:${appPorts.registry}`,
      FAREBOX_PARTITIONS: String(o.partitions),
      FAREBOX_REPLICATION_FACTOR: String(o.replicationFactor),
      FAREBOX_SINK_GROUP: 'farebox-sink',
      FAREBOX_HOME: homeDir,
      FAREBOX_HOST: '0.0.0.0',
      FAREBOX_OPS_PORT: String(opsPort),
      FAREBOX_SHUTDOWN_SECONDS: '25',
      FAREBOX_LOG_FORMAT: 'json',
      // The dashboards API: sign-in required (FAREBOX_DASHBOARDS_ANONYMOUS is never set here).
      FAREBOX_DASHBOARDS_PORT: String(appPorts.dashboards),
      FAREBOX_QUERY_TIMEOUT_SECONDS: '30',
      FAREBOX_QUERY_MAX_ROWS: '10000',
    },
  });
  deployment(chart, o, 'gateway');
  deployment(chart, o, 'registry', o.registryReplicas);
  deployment(chart, o, 'sink');
  // One scheduler: several would be safe (runs are leased in the ops DB) but gain nothing.
  deployment(chart, o, 'scheduler', 1);
  deployment(chart, o, 'dashboards');
  service(chart, o, 'gateway', 8787);
  service(chart, o, 'registry', 8081);
  service(chart, o, 'dashboards', 8788);
  autoscaler(chart, o, 'gateway', o.gatewayReplicas, 60);
  autoscaler(chart, o, 'dashboards', o.dashboardsReplicas, 300);
  // Slow to scale down: each change of sink count rebalances the consumer group.
  autoscaler(chart, o, 'sink', o.sinkReplicas, 600);
}

export interface Manifests {
  /** Plain Kubernetes objects, in apply order. */
  objects: Record<string, unknown>[];
  yaml: string;
}

export function synthManifests(options: Partial<ManifestOptions> = {}): Manifests {
  const o: ManifestOptions = { ...defaultOptions, ...options };
  if (o.sinkReplicas.max > o.partitions)
    throw new Error(
      `sinkReplicas.max (${o.sinkReplicas.max}) over partitions (${o.partitions}): extra sinks idle`,
    );
  const app = new App();
  const chart = new Chart(app, 'farebox', { disableResourceNameHashes: true });
  farebox(chart, o);
  return { objects: chart.toJson() as Record<string, unknown>[], yaml: app.synthYaml() };
}
