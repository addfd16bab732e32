/**
 * The log table of docs/operations.md must not send anyone to log groups that the nodes never feed. On Amazon Linux
 * 2023 nodes, the amazon-cloudwatch-observability add-on's Fluent Bit does not produce the Container Insights host and
 * dataplane logs (AL2023 logs to the systemd journal; CloudWatch's add-on quick start says so):
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-setup-EKS-addon.html
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentStackName, platformConfig } from '../../../config';
import { platform, resourcesOfType, ROOT } from '../helpers';

/** The rows of the "Where logs and metrics are" table. */
function logTableRows(): string[] {
  const doc = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Where logs and metrics are'));
  if (!section) throw new Error('docs/operations.md has no "Where logs and metrics are" section');
  return section.split('\n').filter((line) => line.startsWith('|'));
}

describe('node logs: the documentation says what AL2023 nodes produce', () => {
  const amiTypes = platformConfig.environments.flatMap((env) =>
    resourcesOfType(platform().json(environmentStackName(platformConfig.project, env.name)), 'AWS::EKS::Nodegroup').map(([, n]) => n.Properties.AmiType as string),
  );

  test('every node group runs Amazon Linux 2023', () => {
    expect(amiTypes.length).toBeGreaterThan(0);
    for (const amiType of amiTypes) expect(amiType).toMatch(/^AL2023_/);
  });

  test('the log table names the host and dataplane groups only as not collected on those nodes', () => {
    const rows = logTableRows().filter((row) => /\/(host|dataplane)\b/.test(row));
    expect(rows.length).toBeGreaterThan(0); // the table does speak of them
    for (const row of rows) expect(row).toMatch(/not collected[^|]*Amazon Linux 2023/i);
  });
});
