import { ApiObject, Cron, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { cronJobSettings, cronScheduleProblem, isTimeZone, type ConcurrencyPolicy } from '../config';
import { ChartInputError } from './errors';
import { addFinalJsonPatch } from './escape-hatch';
import { checkInteger } from './validation';
import { buildWorkloadPod, ephemeralStoragePatches, type WorkloadPodProps } from './workload-pod';

export interface ScheduledJobProps extends WorkloadPodProps {
  /** Five-field cron expression (or a macro such as "@daily"), as the CronJob controller reads it. */
  readonly schedule: string;
  /**
   * IANA time zone of the schedule.
   * @default "Etc/UTC"
   */
  readonly timeZone?: string;
  /**
   * What to do when a run is due and the last one still runs.
   * @default "Forbid"
   */
  readonly concurrencyPolicy?: ConcurrencyPolicy;
  /**
   * Seconds after the scheduled time a missed run may still start (the controller checks every 10 s).
   * @default 300
   */
  readonly startingDeadlineSeconds?: number;
  /**
   * Seconds a run may take before its pods are stopped.
   * @default 3600
   */
  readonly activeDeadlineSeconds?: number;
  /**
   * Retries of a failed run.
   * @default 2
   */
  readonly backoffLimit?: number;
  /** @default 3 */
  readonly successfulJobsHistoryLimit?: number;
  /** @default 3 */
  readonly failedJobsHistoryLimit?: number;
}

const POLICIES: Record<ConcurrencyPolicy, kplus.ConcurrencyPolicy> = {
  Forbid: kplus.ConcurrencyPolicy.FORBID,
  Allow: kplus.ConcurrencyPolicy.ALLOW,
  Replace: kplus.ConcurrencyPolicy.REPLACE,
};

/**
 * A scheduled job: ServiceAccount, ConfigMap and a CronJob whose pods meet Pod Security `restricted` like every
 * other pod of the platform (Pod Security admission would refuse them at the first run otherwise, long after the
 * release looked fine).
 */
export class ScheduledJob extends Construct {
  readonly name: string;
  readonly cronJob: kplus.CronJob;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly configMap: kplus.ConfigMap;
  readonly selectorLabels: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    const problem = typeof props.schedule === 'string' ? cronScheduleProblem(props.schedule) : 'expected a cron expression';
    if (problem) throw new ChartInputError(`schedule is ${JSON.stringify(props.schedule)}; ${problem}`);
    const settings = cronJobSettings(props);
    const { timeZone, concurrencyPolicy: policy } = settings;
    if (!isTimeZone(timeZone)) throw new ChartInputError(`timeZone is ${JSON.stringify(timeZone)}; expected an IANA time zone such as "Etc/UTC"`);
    if (!(policy in POLICIES)) throw new ChartInputError(`concurrencyPolicy is ${JSON.stringify(policy)}; allowed: "Forbid", "Allow", "Replace"`);
    const startingDeadline = settings.startingDeadlineSeconds;
    checkInteger('startingDeadlineSeconds', startingDeadline, 10, 86400);
    const activeDeadline = settings.activeDeadlineSeconds;
    checkInteger('activeDeadlineSeconds', activeDeadline, 1, 86400);
    const backoffLimit = settings.backoffLimit;
    checkInteger('backoffLimit', backoffLimit, 0, 10);
    const successful = settings.successfulJobsHistoryLimit;
    checkInteger('successfulJobsHistoryLimit', successful, 0, 100);
    const failed = settings.failedJobsHistoryLimit;
    checkInteger('failedJobsHistoryLimit', failed, 0, 100);

    const pod = buildWorkloadPod(this, props);
    this.name = props.name;
    this.selectorLabels = pod.selectorLabels;
    this.serviceAccount = pod.serviceAccount;
    this.configMap = pod.configMap;

    this.cronJob = new kplus.CronJob(this, 'CronJob', {
      metadata: { name: props.name, namespace: props.namespace },
      select: false,
      // Replaced by the validated expression below (cdk8s' Cron takes fields, not an expression).
      schedule: Cron.daily(),
      timeZone,
      concurrencyPolicy: POLICIES[policy],
      startingDeadline: Duration.seconds(startingDeadline),
      successfulJobsRetained: successful,
      failedJobsRetained: failed,
      activeDeadline: Duration.seconds(activeDeadline),
      backoffLimit,
      podMetadata: { labels: pod.podLabels, annotations: pod.podAnnotations },
      restartPolicy: kplus.RestartPolicy.NEVER,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      securityContext: pod.securityContext,
      volumes: pod.volumes,
      containers: [pod.container],
    });
    const cronJob = ApiObject.of(this.cronJob);
    const template = '/spec/jobTemplate/spec/template';
    cronJob.addJsonPatch(
      JsonPatch.replace('/spec/schedule', props.schedule),
      JsonPatch.remove(`${template}/metadata/labels/cdk8s.io~1metadata.addr`),
      JsonPatch.add(`${template}/spec/securityContext/seccompProfile`, { type: 'RuntimeDefault' }),
    );
    addFinalJsonPatch(cronJob, ...ephemeralStoragePatches(pod.ephemeralStorage, `${template}/spec/containers/0`));
  }
}
