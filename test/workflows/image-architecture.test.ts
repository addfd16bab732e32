/**
 * The image and the nodes agree on the CPU architecture: the node groups' AMI type and the platforms build-scan
 * builds for both come from the configured instance types (config/architecture.ts). A pod whose image has no
 * variant for the node's architecture never starts ("exec format error").
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { environmentStackName, IMAGE_PLATFORM, imagePlatforms, nodeArchitecture, platformConfig } from '../../config';
import { NODE_AMI_TYPE } from '../../infra/constructs/cluster';
import { platform, resourcesOfType, ROOT } from '../infra/helpers';

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
const buildScan = load(readFileSync(join(ROOT, '.github/workflows/build-scan.yml'), 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
const buildSteps = buildScan.jobs.build.steps;

describe('image platforms = node architectures', () => {
  test('build-scan builds for the platforms `npm run image:platforms` derives from the configuration, never a hand-kept list', () => {
    const platformsStep = buildSteps.findIndex((s) => s.id === 'platforms');
    const build = buildSteps.findIndex((s) => s.uses?.startsWith('docker/build-push-action@'));
    // For the configuration the repository deploys (repository variable PLATFORM_CONFIG).
    expect(buildSteps[platformsStep]?.run).toBe('npm run image:platforms -- --config "$PLATFORM_CONFIG"');
    expect(build).toBeGreaterThan(platformsStep);
    expect(buildSteps[build].with?.platforms).toBe('${{ steps.platforms.outputs.platforms }}');
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
    expect(scripts['image:platforms']).toMatch(/dist\/image-platforms\.js$/);
  });

  test.each(platformConfig.environments.map((env) => [env.name, env] as const))('%s: the node group AMI type runs a platform the image is built for', (name, env) => {
    const [[, nodegroup]] = resourcesOfType(platform().json(environmentStackName(platformConfig.project, name)), 'AWS::EKS::Nodegroup');
    const architecture = nodeArchitecture(env);
    expect(nodegroup.Properties.AmiType).toBe(NODE_AMI_TYPE[architecture]);
    expect(nodegroup.Properties.AmiType).toMatch(architecture === 'arm64' ? /_ARM_64_/ : /_X86_64_/);
    expect(imagePlatforms(platformConfig)).toContain(IMAGE_PLATFORM[architecture]);
  });

  test('the Dockerfile cross-builds without emulation: the build stage runs on $BUILDPLATFORM, the runtime stage runs nothing', () => {
    const dockerfile = readFileSync(join(ROOT, 'app/Dockerfile'), 'utf8');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages[0]).toMatch(/^--platform=\$BUILDPLATFORM /);
    expect(stages[stages.length - 1]).not.toMatch(/^--platform=/);
    expect(stages[stages.length - 1]).not.toMatch(/^RUN /m);
  });
});
