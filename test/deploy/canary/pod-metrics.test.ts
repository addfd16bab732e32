import { failed, ok } from '../../../deploy/adapters/cluster';
import { EXIT } from '../../../deploy/errors';
import { podMetricsPath, podProxyAccess, scrapePods } from '../../../deploy/canary/pod-metrics';
import { FakeCluster } from '../fake-cluster';
import { phaseContext, plan, refusal } from '../phases/support';

const METRICS = 'http_requests_total{route="GET /",status_class="2xx"} 10\nhttp_requests_total{route="GET /",status_class="5xx"} 2\n';

describe('pod metrics through the API server proxy', () => {
  test('the proxy path names the namespace, the pod and the metrics port', () => {
    expect(podMetricsPath('web', 'web-canary-7d9f-abc')).toBe('/api/v1/namespaces/web/pods/web-canary-7d9f-abc:9090/proxy/metrics');
  });

  test('scrapes every pod; one that does not answer is reported, not fatal', async () => {
    const cluster = new FakeCluster();
    cluster.raw[podMetricsPath('web', 'a')] = ok(METRICS);
    cluster.raw[podMetricsPath('web', 'b')] = failed('Error from server (ServiceUnavailable): the server is currently unable to handle the request\nmore');
    const scrape = await scrapePods(phaseContext(cluster), 'web', ['a', 'b']);
    expect(scrape.pods.get('a')).toMatchObject({ requests: 12, errors: 2 });
    expect(scrape.failed).toEqual([{ pod: 'b', error: 'Error from server (ServiceUnavailable): the server is currently unable to handle the request' }]);
  });

  test('the preflight refuses a canary when the credentials may not use the pod proxy (exit 2, nothing applied)', async () => {
    const cluster = new FakeCluster();
    cluster.permissions['get pods/proxy'] = ok(false);
    const r = await refusal(podProxyAccess.run(phaseContext(cluster), plan()));
    expect(r.exitCode).toBe(EXIT.invalidInput);
    expect(r.message).toMatch(/may not "get pods\/proxy" in web: grant it .* nothing applied$/);
    await podProxyAccess.run(phaseContext(new FakeCluster()), plan());
    expect(cluster.calls).toEqual(['canI get pods/proxy -n web']);
  });
});
