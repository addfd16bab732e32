// EKS-style access entries for the local control plane: one small HTTPS server on 127.0.0.1 that kube-apiserver
// calls as its token authentication webhook (TokenReview, like EKS's IAM authenticator) and as its authorization
// webhook (SubjectAccessReview, like EKS's access policies). Started and stopped by cluster/access/access.sh.
//
// Authentication: a bearer token whose SHA-256 is in an access entry → that entry's username and kubernetesGroups
// (EKS adds an access entry's kubernetesGroups to the principal's groups).
// Authorization: an entry's access policies, each the rules of a ClusterRole (AmazonEKSAdminPolicy → admin, …),
// read live from the API server, within the policy's scope (cluster, or a list of namespaces). Like EKS, this is
// not RBAC: Kubernetes' escalation check on Roles and RoleBindings does not count these permissions.
//
//   node webhook.mjs --port P --tls-cert F --tls-key F --client-ca F --entries F
//                    --apiserver URL --apiserver-ca F --apiserver-cert F --apiserver-key F
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:https';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
for (const required of ['port', 'tls-cert', 'tls-key', 'client-ca', 'entries', 'apiserver', 'apiserver-ca', 'apiserver-cert', 'apiserver-key']) {
  if (!args[required]) {
    console.error(`webhook: --${required} is missing`);
    process.exit(2);
  }
}

/** EKS access policies and the ClusterRole whose permissions each one grants. */
const POLICY_CLUSTER_ROLES = {
  AmazonEKSClusterAdminPolicy: 'cluster-admin',
  AmazonEKSAdminPolicy: 'admin',
  AmazonEKSEditPolicy: 'edit',
  AmazonEKSViewPolicy: 'view',
};

const apiserverTls = {
  ca: readFileSync(args['apiserver-ca']),
  cert: readFileSync(args['apiserver-cert']),
  key: readFileSync(args['apiserver-key']),
};

/** Access entries, re-read on every review so that a change applies at once (the file is small). */
function entries() {
  try {
    return JSON.parse(readFileSync(args.entries, 'utf8')).accessEntries ?? [];
  } catch (e) {
    if (e.code === 'ENOENT') return [];
    throw e;
  }
}

const ruleCache = new Map(); // ClusterRole name → { rules, at }
/** The rules of a ClusterRole, from the API server (the webhook's own requests use the admin certificate). */
function clusterRoleRules(name) {
  const cached = ruleCache.get(name);
  if (cached && Date.now() - cached.at < 10_000) return Promise.resolve(cached.rules);
  const url = new URL(`/apis/rbac.authorization.k8s.io/v1/clusterroles/${encodeURIComponent(name)}`, args.apiserver);
  return new Promise((resolve, reject) => {
    const req = request(url, { ...apiserverTls, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`GET clusterrole ${name}: HTTP ${res.statusCode}`));
        const rules = JSON.parse(body).rules ?? [];
        ruleCache.set(name, { rules, at: Date.now() });
        resolve(rules);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET clusterrole ${name}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

const has = (list, value) => (list ?? []).includes('*') || (list ?? []).includes(value);

/** RBAC's rule matching (k8s.io/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go). */
function ruleAllows(rule, attributes) {
  if (!has(rule.verbs, attributes.verb)) return false;
  if (attributes.nonResource) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === attributes.path || (u.endsWith('*') && attributes.path.startsWith(u.slice(0, -1))));
  }
  if (!has(rule.apiGroups, attributes.group)) return false;
  const combined = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
  const resources = rule.resources ?? [];
  const resourceMatches = resources.some((r) => r === '*' || r === combined || (attributes.subresource && r === `*/${attributes.subresource}`));
  if (!resourceMatches) return false;
  return !rule.resourceNames?.length || rule.resourceNames.includes(attributes.name);
}

/** Whether a policy association's scope covers the request: cluster scope anything, namespace scope its namespaces. */
function inScope(scope, attributes) {
  if (scope?.type === 'cluster') return true;
  return scope?.type === 'namespace' && !attributes.nonResource && attributes.namespace !== '' && (scope.namespaces ?? []).includes(attributes.namespace);
}

async function authorize(spec) {
  const entry = entries().find((e) => e.username === spec.user);
  // No opinion without a reason, as RBAC answers (kubectl auth can-i then prints a plain "no").
  if (!entry) return { allowed: false };
  const r = spec.resourceAttributes;
  const attributes = r
    ? { nonResource: false, verb: r.verb, group: r.group ?? '', resource: r.resource ?? '', subresource: r.subresource ?? '', name: r.name ?? '', namespace: r.namespace ?? '' }
    : { nonResource: true, verb: spec.nonResourceAttributes?.verb, path: spec.nonResourceAttributes?.path ?? '', namespace: '' };
  for (const association of entry.accessPolicies ?? []) {
    const role = POLICY_CLUSTER_ROLES[association.policyArn?.split('/').pop()];
    if (!role || !inScope(association.accessScope, attributes)) continue;
    const rules = await clusterRoleRules(role);
    if (rules.some((rule) => ruleAllows(rule, attributes))) return { allowed: true, reason: `access policy ${association.policyArn}` };
  }
  // No opinion (not a denial): RBAC, earlier in the chain, has already had its say.
  return { allowed: false };
}

function authenticate(spec) {
  const digest = createHash('sha256')
    .update(spec.token ?? '')
    .digest('hex');
  const entry = entries().find((e) => e.tokenSha256 === digest);
  if (!entry) return { authenticated: false };
  return { authenticated: true, user: { username: entry.username, uid: `access-entry:${entry.username}`, groups: entry.kubernetesGroups ?? [] } };
}

const server = createServer(
  {
    cert: readFileSync(args['tls-cert']),
    key: readFileSync(args['tls-key']),
    // Only kube-apiserver (its client certificate, signed by the cluster CA) may ask.
    ca: readFileSync(args['client-ca']),
    requestCert: true,
    rejectUnauthorized: true,
  },
  (req, res) => {
    // kube-apiserver adds ?timeout=…
    const path = new URL(req.url, 'https://127.0.0.1').pathname;
    if (req.method === 'GET' && path === '/healthz') return res.end('ok');
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      try {
        const review = JSON.parse(body);
        let status;
        if (path === '/authenticate' && review.kind === 'TokenReview') status = authenticate(review.spec ?? {});
        else if (path === '/authorize' && review.kind === 'SubjectAccessReview') status = await authorize(review.spec ?? {});
        else {
          console.error(`webhook: no ${review.kind} review at ${path}`);
          res.statusCode = 404;
          return res.end();
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: review.kind, status }));
        if (review.kind === 'SubjectAccessReview') {
          const r = review.spec.resourceAttributes ?? review.spec.nonResourceAttributes ?? {};
          console.log(
            `${new Date().toISOString()} ${status.allowed ? 'allow' : 'no-opinion'} ${review.spec.user} ${r.verb} ${r.group ? `${r.group}/` : ''}${r.resource ?? r.path}${r.subresource ? `/${r.subresource}` : ''} ns=${r.namespace ?? ''}`,
          );
        }
      } catch (e) {
        console.error(`webhook: ${e.message}`);
        res.statusCode = 500;
        res.end();
      }
    });
  },
);
server.listen(Number(args.port), '127.0.0.1', () => console.log(`webhook: listening on https://127.0.0.1:${args.port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
