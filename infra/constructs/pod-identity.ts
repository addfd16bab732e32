/**
 * EKS Pod Identity: a role the `pods.eks.amazonaws.com` service may assume, and its binding to one ServiceAccount.
 * Every AWS-calling pod of the platform (the web workload, the ALB controller, external-dns, Cluster Autoscaler,
 * the CloudWatch agent) gets its credentials this way, never from the node role.
 */
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

const POD_IDENTITY = new iam.ServicePrincipal('pods.eks.amazonaws.com');

/** An IAM role that EKS Pod Identity may assume (and tag the session of) for a ServiceAccount. */
export function podIdentityRole(scope: Construct, id: string, description: string): iam.Role {
  const role = new iam.Role(scope, id, { description: `EKS Pod Identity: ${description}`, assumedBy: POD_IDENTITY });
  role.assumeRolePolicy?.addStatements(new iam.PolicyStatement({ actions: ['sts:TagSession'], principals: [POD_IDENTITY] }));
  return role;
}

/** Binds `role` to the ServiceAccount: its pods receive the role's credentials from the Pod Identity agent. */
export function bindPodIdentity(scope: Construct, id: string, clusterName: string, serviceAccount: ServiceAccountRef, role: iam.IRole): eks.CfnPodIdentityAssociation {
  return new eks.CfnPodIdentityAssociation(scope, id, { clusterName, namespace: serviceAccount.namespace, serviceAccount: serviceAccount.name, roleArn: role.roleArn });
}
