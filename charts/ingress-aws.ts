import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { ALB_CONTROLLER_SERVICE_ACCOUNT, OIDC_CLIENT_SECRET_NAME, type WorkloadOutputs } from '../config';
import { ChartInputError } from './errors';
import { checkDnsLabel, checkHostname, checkUrlPath, checkInteger } from './validation';
import { SERVICE_PORT, WebService } from './web-service';

const ALB = 'alb.ingress.kubernetes.io';

/** The target group's health check (annotations below): a new target is healthy after healthyThresholdCount passes. */
export const ALB_HEALTH_CHECK = { intervalSeconds: 10, timeoutSeconds: 5, healthyThresholdCount: 2, unhealthyThresholdCount: 2 } as const;
/**
 * Budget for a new pod's target to be registered: the controller reconciles the endpoints, calls RegisterTargets,
 * and the ALB starts health checks only once registration is done (the target is `initial` meanwhile); on the first
 * release this also waits for the brand-new ALB to finish provisioning. Tens of seconds usually, more on a new or
 * busy ALB (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html,
 * https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/pod_readiness_gate/).
 */
export const ALB_REGISTRATION_BUDGET_SECONDS = 120;

/**
 * Seconds the ALB pod readiness gate may take to turn true for a new pod once its containers are ready:
 * registration budget + health-check interval × healthy threshold (120 + 10 × 2 = 140 s).
 */
export function albReadinessGateSeconds(): number {
  return ALB_REGISTRATION_BUDGET_SECONDS + ALB_HEALTH_CHECK.intervalSeconds * ALB_HEALTH_CHECK.healthyThresholdCount;
}

/** How the ALB authenticates users against the central Cognito user pool. */
export type AlbAuthType = 'cognito' | 'oidc';

/**
 * The outputs the ALB needs, documented on `WorkloadOutputs` (config/outputs.ts): the certificate (in the ALB's
 * region) and the central user pool. `userPoolRegion` equal to `region` → `auth-type: cognito`, otherwise `oidc`
 * (issuer from `userPoolId`, endpoints from the hosted domain prefix `userPoolDomain`; the client ID then comes
 * from the Secret, not `userPoolClientId`).
 */
export type AlbIngressOutputs = Pick<WorkloadOutputs, 'certificateArn' | 'userPoolArn' | 'userPoolId' | 'userPoolRegion' | 'userPoolDomain' | 'userPoolClientId'>;

export interface AlbIngressProps extends AlbIngressOutputs {
  /** The web service behind the ALB (its Service is the backend; its preStop wait bounds the deregistration delay). */
  readonly workload: WebService;
  /** Namespace of the Ingress (and of the OIDC client Secret). */
  readonly namespace: string;
  /**
   * Host of the rule (a public service's `exposure.host`).
   * @default - any host that reaches the ALB (then `path` is required)
   */
  readonly hostname?: string;
  /**
   * Path of the target group's health check (the service's readiness path).
   * @default "/readyz"
   */
  readonly healthCheckPath?: string;
  /**
   * Path prefix of the rule (a public service's `exposure.path`).
   * @default "/"
   */
  readonly path?: string;
  /**
   * IngressGroup (`alb.ingress.kubernetes.io/group.name`) the Ingress joins: the public services of an environment
   * share one ALB, one rule each.
   * @default - an ALB of its own
   */
  readonly groupName?: string;
  /**
   * Create the Role and RoleBinding that let the controller read the OIDC client Secret (auth-type oidc). Off when
   * several Ingresses share the Secret and the namespace creates them once (`OidcSecretReader`).
   * @default true
   */
  readonly oidcSecretReader?: boolean;
  /** Region of the ALB (the environment's region). */
  readonly region: string;
  /**
   * The user pool is in another AWS account than the ALB (the multi-account layout's shared-services account):
   * `auth-type: cognito` takes a pool of the ALB's own account and region only, so the ALB signs in through
   * `auth-type: oidc` against the same pool.
   * @default false
   */
  readonly userPoolInAnotherAccount?: boolean;
  /**
   * Name of the Ingress.
   * @default - the workload's name
   */
  readonly name?: string;
  /**
   * Name of the load balancer (`alb.ingress.kubernetes.io/load-balancer-name`, at most 32 characters): stable across
   * Ingress changes (changing it later makes the controller create a new load balancer); the service accepts the
   * identity header only from the load balancer with this name.
   * @default - a name the controller derives from the namespace and Ingress name
   */
  readonly loadBalancerName?: string;
  /**
   * Name of the Secret (keys `clientID`, `clientSecret`) the controller reads for `auth-type: oidc`.
   * Created at deploy time from Secrets Manager by the deploy command; never in git.
   * @default OIDC_CLIENT_SECRET_NAME
   */
  readonly oidcSecretName?: string;
  /**
   * Seconds the ALB keeps sending in-flight requests to a deregistering target. Must be shorter than the pods'
   * preStop sleep, so a pod only receives SIGTERM once the ALB no longer routes to it.
   * @default 15
   */
  readonly deregistrationDelaySeconds?: number;
  /**
   * Lifetime of the ALB's authentication session cookie.
   * @default 28800 (8 hours)
   */
  readonly sessionTimeoutSeconds?: number;
  /**
   * ServiceAccount of the AWS Load Balancer Controller, granted read access to the OIDC client Secret.
   * @default ALB_CONTROLLER_SERVICE_ACCOUNT (aws-load-balancer-controller in kube-system, as infra installs it)
   */
  readonly controllerServiceAccount?: { readonly name: string; readonly namespace: string };
  /**
   * Tags the controller adds to the ALB, its target groups and security groups (`alb.ingress.kubernetes.io/tags`).
   * @default - none beyond the controller's own
   */
  readonly tags?: readonly { readonly key: string; readonly value: string }[];
}

/**
 * An internet-facing ALB (AWS Load Balancer Controller) in front of the web service: HTTPS with the region's
 * certificate, HTTP redirected to HTTPS, `target-type: ip` with a health check on /readyz, and Cognito sign-in —
 * `auth-type: cognito` in the user pool's account and region, `auth-type: oidc` against the same pool elsewhere.
 */
export class AlbIngress extends Construct {
  readonly authType: AlbAuthType;
  readonly ingress: kplus.Ingress;
  readonly deregistrationDelaySeconds: number;

  constructor(scope: Construct, id: string, props: AlbIngressProps) {
    super(scope, id);
    const { path, delay, sessionTimeout, oidcSecretName } = checkIngressInputs(props);
    this.deregistrationDelaySeconds = delay;
    this.authType = albAuthType(props.region, props.userPoolRegion, props.userPoolInAnotherAccount ?? false);

    const annotations = albAnnotations(props, this.authType, delay, sessionTimeout);
    this.addAuthAnnotations(props, annotations, oidcSecretName);
    this.ingress = new kplus.Ingress(this, 'Resource', {
      metadata: { name: props.name ?? props.workload.name, namespace: props.namespace, annotations },
      className: 'alb',
      rules: [
        {
          ...(props.hostname ? { host: props.hostname } : {}),
          path,
          pathType: kplus.HttpIngressPathType.PREFIX,
          backend: kplus.IngressBackend.fromService(props.workload.service, { port: SERVICE_PORT }),
        },
      ],
    });

    this.validateTimingAtSynth(props);
  }

  /** The sign-in: the user pool directly (`cognito`), or its OIDC endpoints with the client Secret the controller may read. */
  private addAuthAnnotations(props: AlbIngressProps, annotations: Record<string, string>, oidcSecretName: string): void {
    if (this.authType === 'cognito') {
      annotations[`${ALB}/auth-idp-cognito`] = JSON.stringify({
        userPoolARN: props.userPoolArn,
        userPoolClientID: props.userPoolClientId,
        userPoolDomain: props.userPoolDomain,
      });
    } else {
      const hostedDomain = `https://${props.userPoolDomain}.auth.${props.userPoolRegion}.amazoncognito.com`;
      annotations[`${ALB}/auth-idp-oidc`] = JSON.stringify({
        issuer: `https://cognito-idp.${props.userPoolRegion}.amazonaws.com/${props.userPoolId}`,
        authorizationEndpoint: `${hostedDomain}/oauth2/authorize`,
        tokenEndpoint: `${hostedDomain}/oauth2/token`,
        userInfoEndpoint: `${hostedDomain}/oauth2/userInfo`,
        secretName: oidcSecretName,
      });
      if (props.oidcSecretReader ?? true) {
        new OidcSecretReader(this, 'OidcSecretReader', { namespace: props.namespace, secretName: oidcSecretName, controller: props.controllerServiceAccount });
      }
    }
  }

  /** Needs the workload's settings, which may be changed after this construct: checked at synth. */
  private validateTimingAtSynth(props: AlbIngressProps): void {
    this.node.addValidation({
      validate: () => {
        const problems: string[] = [];
        if (this.deregistrationDelaySeconds >= props.workload.preStopSleepSeconds) {
          problems.push(
            `ALB deregistration delay (${this.deregistrationDelaySeconds} s) must be shorter than the pods' preStop sleep (${props.workload.preStopSleepSeconds} s); otherwise pods get SIGTERM while the ALB still routes requests to them`,
          );
        }
        // The namespace's readiness gate holds every new pod until its target is healthy: the rollout's deadline
        // must allow for it, or a good release on a new or busy ALB is rolled back.
        const gate = albReadinessGateSeconds();
        if (props.workload.rolloutStep.readinessGateSeconds < gate) {
          problems.push(
            `web service ${props.workload.name} counts ${props.workload.rolloutStep.readinessGateSeconds} s for its readiness gate, but behind the ALB a new pod is Ready only after registration (up to ${ALB_REGISTRATION_BUDGET_SECONDS} s) and ${ALB_HEALTH_CHECK.healthyThresholdCount} health checks ${ALB_HEALTH_CHECK.intervalSeconds} s apart: give it readinessGateSeconds: albReadinessGateSeconds() (${gate})`,
          );
        }
        return problems;
      },
    });
  }
}

/** Checks the inputs (naming the value and what is allowed); the defaults resolved. */
function checkIngressInputs(props: AlbIngressProps): { path: string; delay: number; sessionTimeout: number; oidcSecretName: string } {
  checkDnsLabel('namespace', props.namespace);
  if (props.hostname !== undefined) checkHostname('hostname', props.hostname);
  const path = props.path ?? '/';
  checkUrlPath('path', path);
  if (props.hostname === undefined && props.path === undefined) throw new ChartInputError('the ALB rule needs a hostname or a path');
  if (props.groupName !== undefined) checkDnsLabel('groupName', props.groupName);
  const delay = props.deregistrationDelaySeconds ?? 15;
  checkInteger('deregistrationDelaySeconds', delay, 0, 3600);
  const sessionTimeout = props.sessionTimeoutSeconds ?? 28800;
  checkInteger('sessionTimeoutSeconds', sessionTimeout, 1, 604800);
  const oidcSecretName = props.oidcSecretName ?? OIDC_CLIENT_SECRET_NAME;
  checkDnsLabel('oidcSecretName', oidcSecretName);
  for (const field of ['certificateArn', 'userPoolArn', 'userPoolId', 'userPoolRegion', 'userPoolDomain', 'userPoolClientId', 'region'] as const) {
    if (typeof props[field] !== 'string' || props[field].length === 0) {
      throw new ChartInputError(`${field} is ${JSON.stringify(props[field])}; the ALB Ingress needs it (from the environment stack's outputs)`);
    }
  }
  if (props.loadBalancerName !== undefined && !/^(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(props.loadBalancerName)) {
    throw new ChartInputError(
      `loadBalancerName is ${JSON.stringify(props.loadBalancerName)}; an ALB name has 1-32 letters, digits or hyphens, neither starting nor ending with a hyphen, nor starting with "internal-"`,
    );
  }
  return { path, delay, sessionTimeout, oidcSecretName };
}

/** The controller's annotations: HTTPS listener with redirect, IP targets, health checks, drain, sign-in, tags. */
function albAnnotations(props: AlbIngressProps, authType: AlbAuthType, delay: number, sessionTimeout: number): Record<string, string> {
  const annotations: Record<string, string> = {
    ...(props.loadBalancerName ? { [`${ALB}/load-balancer-name`]: props.loadBalancerName } : {}),
    ...(props.groupName ? { [`${ALB}/group.name`]: props.groupName } : {}),
    [`${ALB}/scheme`]: 'internet-facing',
    [`${ALB}/target-type`]: 'ip',
    [`${ALB}/listen-ports`]: '[{"HTTP": 80}, {"HTTPS": 443}]',
    [`${ALB}/ssl-redirect`]: '443',
    [`${ALB}/certificate-arn`]: props.certificateArn,
    [`${ALB}/ssl-policy`]: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    [`${ALB}/backend-protocol`]: 'HTTP',
    [`${ALB}/healthcheck-path`]: props.healthCheckPath ?? '/readyz',
    [`${ALB}/healthcheck-port`]: 'traffic-port',
    [`${ALB}/success-codes`]: '200',
    // Fast enough for the pod readiness gate: a new target is healthy ~20 s after it starts answering.
    [`${ALB}/healthcheck-interval-seconds`]: String(ALB_HEALTH_CHECK.intervalSeconds),
    [`${ALB}/healthcheck-timeout-seconds`]: String(ALB_HEALTH_CHECK.timeoutSeconds),
    [`${ALB}/healthy-threshold-count`]: String(ALB_HEALTH_CHECK.healthyThresholdCount),
    [`${ALB}/unhealthy-threshold-count`]: String(ALB_HEALTH_CHECK.unhealthyThresholdCount),
    [`${ALB}/target-group-attributes`]: `deregistration_delay.timeout_seconds=${delay}`,
    [`${ALB}/load-balancer-attributes`]: 'routing.http.drop_invalid_header_fields.enabled=true',
    [`${ALB}/auth-type`]: authType,
    [`${ALB}/auth-on-unauthenticated-request`]: 'authenticate',
    [`${ALB}/auth-scope`]: 'openid',
    [`${ALB}/auth-session-timeout`]: String(sessionTimeout),
  };
  if (props.tags && props.tags.length > 0) {
    for (const tag of props.tags) {
      if (!/^[\w.:/=+@-]{1,128}$/.test(tag.key) || !/^[\w.:/=+@ -]{0,256}$/.test(tag.value) || /[,=]/.test(`${tag.key}${tag.value}`)) {
        throw new ChartInputError(
          `tags: ${JSON.stringify(tag)} is not a valid AWS tag for the controller's "key=value,…" annotation (letters, digits, _ . : / + @ -, no "," or "=")`,
        );
      }
    }
    annotations[`${ALB}/tags`] = props.tags.map((t) => `${t.key}=${t.value}`).join(',');
  }
  return annotations;
}

/** Cognito in the user pool's own account and region; OIDC against the same pool elsewhere. */
export function albAuthType(region: string, userPoolRegion: string, userPoolInAnotherAccount: boolean): AlbAuthType {
  return region === userPoolRegion && !userPoolInAnotherAccount ? 'cognito' : 'oidc';
}

/** Lets the AWS Load Balancer Controller read exactly one Secret: the OIDC client of `auth-type: oidc`. */
export class OidcSecretReader extends Construct {
  constructor(
    scope: Construct,
    id: string,
    props: { readonly namespace: string; readonly secretName: string; readonly controller?: { readonly name: string; readonly namespace: string } },
  ) {
    super(scope, id);
    const controller = props.controller ?? ALB_CONTROLLER_SERVICE_ACCOUNT;
    const readerName = `${props.secretName}-reader`;
    const role = new kplus.Role(this, 'Role', { metadata: { name: readerName, namespace: props.namespace } });
    role.allow(['get', 'list', 'watch'], kplus.Secret.fromSecretName(this, 'Secret', props.secretName));
    const binding = new kplus.RoleBinding(this, 'Binding', { metadata: { name: readerName, namespace: props.namespace }, role });
    binding.addSubjects(kplus.ServiceAccount.fromServiceAccountName(this, 'Controller', controller.name, { namespaceName: controller.namespace }));
  }
}
