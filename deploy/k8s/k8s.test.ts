/**
 * The Kubernetes manifests (deploy/k8s/app.ts) validated offline against the Kubernetes OpenAPI schemas
 * (kubernetes-models), checked for what the platform relies on (probes, non-root, secrets by reference,
 * autoscalers, disruption budgets), and the checked-in dist file compared with a fresh synth. Also the
 * eksctl ClusterConfig, against a schema written from eksctl's documented fields.
 *
 * kubernetes-models checks types, required fields and formats, not unknown fields (the Kubernetes schemas
 * allow them): unknown fields are caught earlier, by the cdk8s construct types in `npx tsc`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { roles } from '../../src/cli/roles.ts';
import { defaultOptions, k8sRoles, opsPort, secretKeys, synthManifests } from './app.ts';
import { distFile, render } from './synth.ts';

// Loosely typed views of the synthesized objects, for the assertions.
interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Obj {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface Probe {
  httpGet?: { path: string; port: number | string };
}
interface Container {
  args: string[];
  image: string;
  ports: { name: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: unknown }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts: { name: string; mountPath: string }[];
}
interface DeploymentSpec {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: {
    metadata: Meta;
    spec: {
      containers: Container[];
      securityContext: { runAsNonRoot?: boolean; runAsUser?: number };
      terminationGracePeriodSeconds: number;
      volumes: { name: string; emptyDir?: object }[];
      hostNetwork?: boolean;
      serviceAccountName?: string;
    };
  };
}

const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

const { objects, yaml } = synthManifests();
const all = objects as unknown as Obj[];
const ofKind = (kind: string) => all.filter((o) => o.kind === kind);
const deployments = ofKind('Deployment');
const specOf = (d: Obj) => d.spec as unknown as DeploymentSpec;
const byName = (kind: string, name: string) => ofKind(kind).find((o) => o.metadata.name === name);

describe('kubernetes manifests', () => {
  it('validate against the Kubernetes OpenAPI schemas', () => {
    expect(all.length).toBeGreaterThan(0);
    for (const o of all) {
      const Model = models[`${o.apiVersion}/${o.kind}`];
      expect(Model, `no schema for ${o.apiVersion}/${o.kind}`).toBeDefined();
      expect(() => new Model!(o as never).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
    }
  });

  it('the validation does catch a broken object', () => {
    const d = structuredClone(deployments[0]!) as unknown as { spec: DeploymentSpec };
    (d.spec.template.spec.containers[0]!.ports[0] as { containerPort: unknown }).containerPort = 'http';
    expect(() => new Deployment(d as never).validate()).toThrow();
    const noContainers = structuredClone(deployments[0]!) as unknown as { spec: DeploymentSpec };
    delete (noContainers.spec.template.spec as { containers?: unknown }).containers;
    expect(() => new Deployment(noContainers as never).validate()).toThrow();
  });

  it('namespaced objects all live in the one namespace, which is made first', () => {
    expect(all[0]).toMatchObject({ kind: 'Namespace', metadata: { name: defaultOptions.namespace } });
    for (const o of all.slice(1))
      expect(o.metadata.namespace, o.metadata.name).toBe(defaultOptions.namespace);
  });

  it('has a Deployment per role, each running `serve <role>` of the one image', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(
      k8sRoles.map((r) => `farebox-${r}`).sort(),
    );
    for (const d of deployments) {
      const [c, ...more] = specOf(d).template.spec.containers;
      expect(more).toEqual([]);
      expect(c!.image).toBe(defaultOptions.image);
      expect(c!.args[0]).toBe('serve');
      expect(roles).toContain(c!.args[1]);
      expect(d.metadata.name).toBe(`farebox-${c!.args[1]}`);
      for (const [k, v] of Object.entries(specOf(d).selector.matchLabels))
        expect(specOf(d).template.metadata.labels?.[k]).toBe(v);
    }
  });

  it('probes /livez and /readyz on the ops port', () => {
    for (const d of deployments) {
      const c = specOf(d).template.spec.containers[0]!;
      expect(c.livenessProbe?.httpGet, d.metadata.name).toEqual({ path: '/livez', port: opsPort });
      expect(c.readinessProbe?.httpGet, d.metadata.name).toEqual({ path: '/readyz', port: opsPort });
      expect(c.ports).toContainEqual({ name: 'ops', containerPort: 9464 });
      expect(specOf(d).template.metadata.annotations).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9464',
        'prometheus.io/path': '/metrics',
      });
    }
  });

  it('runs as non-root on a read-only root file system, FAREBOX_HOME on an emptyDir', () => {
    const home = byName('ConfigMap', 'farebox-engines')?.data?.FAREBOX_HOME;
    expect(home).toBe('/var/lib/farebox');
    for (const d of deployments) {
      const pod = specOf(d).template.spec;
      const c = pod.containers[0]!;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBe(10001);
      expect(pod.hostNetwork).toBeUndefined();
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      const mount = c.volumeMounts.find((m) => m.mountPath === home);
      expect(pod.volumes.find((v) => v.name === mount?.name)?.emptyDir, d.metadata.name).toEqual({});
      expect(pod.terminationGracePeriodSeconds).toBe(30);
      expect(Object.keys(c.resources.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(c.resources.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
    }
  });

  it('holds no secret values: env comes from secretKeyRef, the ConfigMap holds no credentials', () => {
    expect(ofKind('Secret')).toEqual([]);
    for (const d of deployments) {
      const c = specOf(d).template.spec.containers[0]!;
      for (const e of c.env ?? []) {
        expect(e.value, e.name).toBeUndefined();
        expect(e.valueFrom?.secretKeyRef?.name, e.name).toBe(defaultOptions.secretName);
      }
      for (const from of c.envFrom ?? []) expect(Object.keys(from)).toEqual(['configMapRef']);
      const role = c.args[1] as (typeof k8sRoles)[number];
      expect(c.env?.map((e) => e.name)).toEqual(
        expect.arrayContaining([...secretKeys[role].required, ...secretKeys.all.optional]),
      );
    }
    for (const cm of ofKind('ConfigMap'))
      for (const [k, v] of Object.entries(cm.data ?? {})) {
        expect(k).not.toMatch(/PASSWORD|SECRET|TOKEN|WAREHOUSE|OPS_DB|AWS_/);
        expect(v, k).not.toMatch(/:\/\/[^/@]*:[^/@]*@/);
      }
  });

  it('autoscales the sink, the gateway and the dashboards on CPU; their replica counts belong to the autoscalers', () => {
    const hpas = ofKind('HorizontalPodAutoscaler');
    const targets = hpas.map(
      (h) => (h.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef,
    );
    expect(targets.map((t) => t.name).sort()).toEqual([
      'farebox-dashboards',
      'farebox-gateway',
      'farebox-sink',
    ]);
    for (const t of targets) {
      expect(t.kind).toBe('Deployment');
      expect(specOf(byName('Deployment', t.name)!).replicas, t.name).toBeUndefined();
    }
    const sink = byName('HorizontalPodAutoscaler', 'farebox-sink')!.spec as {
      minReplicas: number;
      maxReplicas: number;
      metrics: { resource: { name: string } }[];
    };
    expect(sink).toMatchObject({ minReplicas: defaultOptions.sinkReplicas.min, maxReplicas: 4 });
    expect(sink.maxReplicas).toBeLessThanOrEqual(defaultOptions.partitions);
    expect(sink.metrics.map((m) => m.resource.name)).toEqual(['cpu']);
    expect(specOf(byName('Deployment', 'farebox-scheduler')!).replicas).toBe(1);
    // Two or more dashboards replicas (sessions are in the ops DB).
    expect(byName('HorizontalPodAutoscaler', 'farebox-dashboards')!.spec).toMatchObject({
      minReplicas: defaultOptions.dashboardsReplicas.min,
      maxReplicas: defaultOptions.dashboardsReplicas.max,
    });
    expect(defaultOptions.dashboardsReplicas.min).toBeGreaterThanOrEqual(2);
  });

  it('has a disruption budget per Deployment, selecting its pods', () => {
    for (const d of deployments) {
      const pdb = byName('PodDisruptionBudget', d.metadata.name);
      expect(pdb, d.metadata.name).toBeDefined();
      expect((pdb!.spec as { selector: unknown }).selector).toEqual(specOf(d).selector);
    }
  });

  it('exposes the gateway, the registry and the dashboards through Services onto named container ports', () => {
    expect(
      ofKind('Service')
        .map((s) => s.metadata.name)
        .sort(),
    ).toEqual(['dashboards', 'gateway', 'registry']);
    const registryUrl = new URL(byName('ConfigMap', 'farebox-engines')!.data!.FAREBOX_REGISTRY!);
    expect(registryUrl.hostname).toBe('registry');
    for (const s of ofKind('Service')) {
      const spec = s.spec as {
        selector: Record<string, string>;
        ports: { port: number; targetPort: string }[];
      };
      const d = byName('Deployment', `farebox-${s.metadata.name}`)!;
      expect(spec.selector).toEqual(specOf(d).selector.matchLabels);
      const named = specOf(d).template.spec.containers[0]!.ports.map((p) => p.name);
      for (const p of spec.ports) expect(named).toContain(p.targetPort);
    }
    expect((byName('Service', 'registry')!.spec as { ports: { port: number }[] }).ports[0]!.port).toBe(
      Number(registryUrl.port),
    );
    const dashboards = byName('Service', 'dashboards')!.spec as { ports: { port: number }[] };
    expect(dashboards.ports[0]!.port).toBe(8788);
    expect(byName('ConfigMap', 'farebox-engines')!.data).toMatchObject({ FAREBOX_DASHBOARDS_PORT: '8788' });
    expect(byName('ConfigMap', 'farebox-engines')!.data).not.toHaveProperty('FAREBOX_DASHBOARDS_ANONYMOUS');
    const c = specOf(byName('Deployment', 'farebox-dashboards')!).template.spec.containers[0]!;
    expect(c.args).toEqual(['serve', 'dashboards']);
    expect(c.ports).toContainEqual({ name: 'http', containerPort: 8788 });
    expect(c.env?.map((e) => e.name)).toEqual(
      expect.arrayContaining(['FAREBOX_WAREHOUSE', 'FAREBOX_OPS_DB']),
    );
  });

  it('takes options, and refuses more sinks than partitions', () => {
    const more = synthManifests({ image: 'example.com/farebox:1', sinkReplicas: { min: 3, max: 4 } });
    const hpa = (more.objects as unknown as Obj[]).find(
      (o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'farebox-sink',
    );
    expect(hpa?.spec?.minReplicas).toBe(3);
    expect(more.yaml).toContain('image: example.com/farebox:1');
    expect(() => synthManifests({ sinkReplicas: { min: 2, max: 8 } })).toThrow(/partitions/);
  });

  it('the checked-in dist file is a fresh synth', async () => {
    expect(fs.existsSync(distFile), 'run `node deploy/k8s/synth.ts`').toBe(true);
    const text = fs.readFileSync(distFile, 'utf8');
    expect(text, 'stale: run `node deploy/k8s/synth.ts`').toBe(await render(yaml));
    expect(parseAllDocuments(text).map((d) => d.toJS() as unknown)).toEqual(objects);
  });
});

// eksctl's ClusterConfig (eksctl.io/v1alpha5), the fields this file uses, from eksctl's config file schema
// (https://eksctl.io/usage/schema/). Strict objects, as eksctl's own schema has additionalProperties: false.
const tags = z.record(z.string(), z.string());
const policyStatement = z.strictObject({
  Effect: z.enum(['Allow', 'Deny']),
  Action: z.union([z.string(), z.array(z.string()).min(1)]),
  Resource: z.union([z.string(), z.array(z.string()).min(1)]),
});
const clusterConfig = z.strictObject({
  apiVersion: z.literal('eksctl.io/v1alpha5'),
  kind: z.literal('ClusterConfig'),
  metadata: z.strictObject({
    name: z.string().regex(/^[a-zA-Z][-a-zA-Z0-9]{0,99}$/),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/),
    version: z
      .string()
      .regex(/^1\.\d+$/)
      .optional(),
    tags: tags.optional(),
    annotations: tags.optional(),
  }),
  iam: z
    .strictObject({
      withOIDC: z.boolean().optional(),
      serviceAccounts: z
        .array(
          z.strictObject({
            metadata: z.strictObject({
              name: z.string(),
              namespace: z.string().optional(),
              labels: tags.optional(),
              annotations: tags.optional(),
            }),
            attachPolicyARNs: z.array(z.string().startsWith('arn:')).optional(),
            attachPolicy: z
              .strictObject({ Version: z.literal('2012-10-17'), Statement: z.array(policyStatement).min(1) })
              .optional(),
            roleName: z.string().optional(),
            roleOnly: z.boolean().optional(),
            tags: tags.optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  fargateProfiles: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        podExecutionRoleARN: z.string().startsWith('arn:').optional(),
        // EKS: up to five selectors a profile, each naming a namespace.
        selectors: z
          .array(z.strictObject({ namespace: z.string().min(1), labels: tags.optional() }))
          .min(1)
          .max(5),
        subnets: z.array(z.string()).optional(),
        tags: tags.optional(),
      }),
    )
    .min(1),
  cloudWatch: z
    .strictObject({
      clusterLogging: z.strictObject({
        enableTypes: z.array(
          z.enum(['api', 'audit', 'authenticator', 'controllerManager', 'scheduler', 'all', '*']),
        ),
        logRetentionInDays: z
          .union(
            [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653].map((n) =>
              z.literal(n),
            ),
          )
          .optional(),
      }),
    })
    .optional(),
});

describe('eksctl Fargate cluster (deploy/k8s/eksctl-fargate.yaml)', () => {
  const file = path.join(import.meta.dirname, 'eksctl-fargate.yaml');
  const config = clusterConfig.parse(parse(fs.readFileSync(file, 'utf8')));

  it('the schema refuses what eksctl refuses', () => {
    expect(clusterConfig.safeParse({ ...config, fargateProfile: [] }).success).toBe(false);
    const noNamespace = structuredClone(config);
    delete (noNamespace.fargateProfiles[0]!.selectors[0] as { namespace?: string }).namespace;
    expect(clusterConfig.safeParse(noNamespace).success).toBe(false);
  });

  it("puts farebox's namespace and kube-system (CoreDNS, metrics-server) on Fargate", () => {
    const selected = config.fargateProfiles.flatMap((p) => p.selectors.map((s) => s.namespace));
    expect(selected).toContain(defaultOptions.namespace);
    expect(selected).toContain('kube-system');
    const farebox = config.fargateProfiles.flatMap((p) => p.selectors).find((s) => s.namespace === 'farebox');
    expect(farebox?.labels).toBeUndefined(); // every pod of the namespace
  });

  it("makes the Deployments' service account, allowed to use the FAREBOX_OBJECTS bucket", () => {
    expect(config.iam?.withOIDC).toBe(true);
    const sa = config.iam?.serviceAccounts?.find(
      (s) => s.metadata.name === defaultOptions.serviceAccountName,
    );
    expect(sa?.metadata.namespace).toBe(defaultOptions.namespace);
    const bucket = new URL(defaultOptions.objects).hostname;
    const resources = (sa?.attachPolicy?.Statement ?? []).flatMap((s) => s.Resource);
    expect(resources).toEqual(expect.arrayContaining([`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`]));
    for (const d of deployments)
      expect(specOf(d).template.spec.serviceAccountName).toBe(defaultOptions.serviceAccountName);
  });
});
