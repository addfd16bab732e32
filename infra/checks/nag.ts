/** cdk-nag helpers: acknowledging findings on the narrowest construct, and spelling resource ARNs as its finding IDs do. */
import { type CfnElement, Stack, Token, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** How a cdk-nag finding ID spells `Fn::GetAtt <resource>.Arn` of a construct's CloudFormation resource: `<LogicalId.Arn>`. */
export function nagArn(construct: Construct): string {
  return `<${Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement)}.Arn>`;
}

/** Acknowledges cdk-nag findings on one construct (the narrowest one that owns them), each with its reason. */
export function acknowledge(construct: Construct, findings: Record<string, string>): void {
  Validations.of(construct).acknowledge(...Object.entries(findings).map(([id, reason]) => ({ id, reason })));
}

/** How a cdk-nag finding ID spells the stack's account: `<AWS::AccountId>` when account-agnostic, else the account ID. */
export function nagAccount(stack: Stack): string {
  return Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
}
